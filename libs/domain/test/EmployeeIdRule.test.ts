import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { claimedEmployeeKeys, employeeKey, readEmployeeId } from "../src/index.js"

const anId = fc.stringMatching(/^[0-9]{1,8}$/)
const spaces = fc.stringMatching(/^ {0,3}$/)
/** Every character `trim()` removes that is not a space, and a few it keeps. */
const stray = fc.constantFrom(
  "\t",
  "\n",
  "\u000b",
  "\f",
  "\r",
  "\u00a0",
  "\u1680",
  "\u2000",
  "\u2028",
  "\u2029",
  "\u202f",
  "\u205f",
  "\u3000",
  "\ufeff",
  "\u0000",
  "\u0085",
  "\u200b",
  "x"
)

describe("The employee id rule", () => {
  it.prop(
    "1–8 digits with spaces around them are the id",
    [anId, spaces, spaces],
    ([id, before, after]) => {
      assert.deepStrictEqual(readEmployeeId(`${before}${id}${after}`), Either.right(id))
      assert.deepStrictEqual(claimedEmployeeKeys(`${before}${id}${after}`), [employeeKey(id)])
    }
  )

  it.prop(
    "any other character before or after makes it no id, yet it claims the same employee",
    [anId, stray, fc.boolean()],
    ([id, character, atEnd]) => {
      const held = atEnd ? `${id}${character}` : `${character}${id}`
      const read = readEmployeeId(held)
      assert(Either.isLeft(read))
      assert.match(read.left, /^holds (U\+[0-9A-F]{4}|"x" \(U\+0078\)) at character \d+$/)
      assert.include(claimedEmployeeKeys(held), employeeKey(id))
    }
  )

  it("a claim is each run of digits, by numeric value: a substring search for the key finds it", () => {
    assert.deepStrictEqual(claimedEmployeeKeys("00030202\r"), ["30202"])
    assert.deepStrictEqual(claimedEmployeeKeys("1;0002"), ["1", "2"])
    assert.deepStrictEqual(claimedEmployeeKeys("\t"), [])
    assert.deepStrictEqual(readEmployeeId("123456789"), Either.left("has 9 digits"))
    assert.deepStrictEqual(readEmployeeId("12 34"), Either.left("holds a space between its digits"))
  })
})
