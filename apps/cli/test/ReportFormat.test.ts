// The report's cells, for any text LDAP may hold.
import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { csvField, markdownCell } from "../src/Cells.js"

/** Reads one RFC 4180 field back. */
const unquote = (field: string) =>
  field.startsWith('"') ? field.slice(1, -1).replace(/""/g, '"') : field

const anyText = fc.string({ unit: "binary", maxLength: 40 })
const formulaLike = fc
  .tuple(fc.constantFrom("=", "+", "-", "@", "\t", "\r"), anyText)
  .map(([first, rest]) => first + rest)

describe("Report cells", () => {
  it.prop(
    "a CSV field reads back as the value, a formula-like one with a leading '",
    [fc.oneof(anyText, formulaLike)],
    ([value]) => {
      const field = csvField(value)
      const read = unquote(field)
      assert.strictEqual(read, /^[=+\-@\t\r]/.test(value) ? `'${value}` : value)
      assert.notMatch(read, /^[=+\-@\t\r]/)
      // Unquoted, a field holds no separator, quote or line break.
      if (!field.startsWith('"')) assert.notMatch(field, /[",\r\n]/)
    }
  )

  it.prop("a Markdown cell never ends its cell or starts HTML", [anyText], ([value]) => {
    const cell = markdownCell(value)
    assert.notMatch(cell.replace(/\\[\\|]/g, ""), /\|/)
    assert.notInclude(cell, "<")
    assert.strictEqual(
      cell
        .replace(/&lt;/g, "<")
        .replace(/&amp;/g, "&")
        .replace(/\\([\\|])/g, "$1"),
      value
    )
  })
})
