import { assert, describe, it } from "@effect/vitest"
import { FilterParser } from "ldapts"
import { toLdapEntry } from "../src/internal/entry.js"
import { escapeFilterValue, keyFilter } from "../src/internal/filter.js"

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

describe("toLdapEntry", () => {
  it("turns every value into a list of strings, Buffers read as UTF-8", () => {
    const entry = toLdapEntry({
      dn: "idautoID=x,ou=Accounts,dc=meta",
      cn: "Åse",
      mail: ["a@uni.no", "b@uni.no"],
      sn: Buffer.from("Ødegård", "utf8"),
      description: [Buffer.from("én", "utf8"), Buffer.from("to", "utf8")],
      idautoPersonSystem5ID: []
    })
    assert.deepStrictEqual(entry, {
      dn: "idautoID=x,ou=Accounts,dc=meta",
      cn: ["Åse"],
      mail: ["a@uni.no", "b@uni.no"],
      sn: ["Ødegård"],
      description: ["én", "to"],
      idautoPersonSystem5ID: []
    })
  })
})
