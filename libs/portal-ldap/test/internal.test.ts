import { assert, describe, it } from "@effect/vitest"
import { FilterParser } from "ldapts"
import { valuesOf } from "../src/internal/entry.js"
import { changedSinceFilter, escapeFilterValue, keyFilter } from "../src/internal/filter.js"

describe("escapeFilterValue", () => {
  it("escapes exactly the RFC 4515 specials", () => {
    assert.strictEqual(escapeFilterValue("a*)(objectClass=*"), "a\\2a\\29\\28objectClass=\\2a")
    assert.strictEqual(escapeFilterValue("\\\0"), "\\5c\\00")
    assert.strictEqual(escapeFilterValue("bjørn.dæhlie@uni.no"), "bjørn.dæhlie@uni.no")
  })

  it("round-trips through ldapts' filter parser to the literal value", () => {
    for (const value of ["*", "a*)(objectClass=*", "\\", "(", ")", "\0", "\\2a", "Åse*"]) {
      const filter = FilterParser.parseString(keyFilter("idautoPersonSystem1ID", value))
      assert.strictEqual(filter.toString(), keyFilter("idautoPersonSystem1ID", value))
      const [, equality] = (filter as unknown as { filters: ReadonlyArray<{ value: string }> })
        .filters
      assert.strictEqual(equality?.value, value)
    }
  })
})

describe("valuesOf", () => {
  it("reads an attribute's non-blank values case-insensitively, Buffers as UTF-8", () => {
    const entry = {
      dn: "idautoID=x,ou=Accounts,dc=meta",
      CN: "Åse",
      mail: ["a@uni.no", " ", "b@uni.no "],
      sn: Buffer.from("Ødegård", "utf8"),
      description: [Buffer.from("én", "utf8"), Buffer.from("to", "utf8")],
      idautoPersonSystem5ID: []
    }
    assert.deepStrictEqual(valuesOf(entry, "cn"), ["Åse"])
    assert.deepStrictEqual(valuesOf(entry, "MAIL"), ["a@uni.no", "b@uni.no "])
    assert.deepStrictEqual(valuesOf(entry, "sn"), ["Ødegård"])
    assert.deepStrictEqual(valuesOf(entry, "description"), ["én", "to"])
    assert.deepStrictEqual(valuesOf(entry, "idautoPersonSystem5ID"), [])
    assert.deepStrictEqual(valuesOf(entry, "givenName"), [])
    assert.deepStrictEqual(valuesOf(entry, "dn"), [])
  })
})

describe("changedSinceFilter", () => {
  it("tests modifyTimestamp in GeneralizedTime, the second floored (a superset is harmless)", () =>
    assert.strictEqual(
      changedSinceFilter(new Date("2026-12-07T06:45:09.987Z")),
      "(&(objectClass=idautoPerson)(modifyTimestamp>=20261207064509Z))"
    ))
})
