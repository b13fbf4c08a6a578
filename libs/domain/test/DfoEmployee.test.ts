import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc, Schema } from "effect"
import {
  DfoEmployee,
  DfoEmployeeList,
  DfoFault,
  DfoLookup,
  employeeIdSpellings,
  employeeKey,
  fieldLimits,
  isEmployeeId,
  sameEmployee
} from "../src/index.js"

const decode = Schema.decodeUnknownEither(DfoEmployee)
const decodeList = Schema.decodeUnknownEither(DfoEmployeeList)

describe("DfoEmployee (CONTRACT §3)", () => {
  it("keeps only the fields the writeback uses and ignores unknown ones", () => {
    const decoded = decode({
      id: "00102099",
      fornavn: "Kari",
      etternavn: "Nordmann",
      dfoBrukerident: "KNO",
      eksternIdent: "kari@uni.no",
      epost: "kari@uni.no",
      brukerident: "00102099",
      stillingsprosent: 100,
      tjenestested: { id: 1 }
    })
    assert.deepStrictEqual(
      decoded,
      Either.right({
        id: "00102099",
        eksternIdent: "kari@uni.no",
        epost: "kari@uni.no",
        brukerident: "00102099",
        hasBrukerident: true
      })
    )
  })

  it("reads absent, null and blank alike as no value", () => {
    assert.deepStrictEqual(
      decode({ id: "1", eksternIdent: null, epost: "", brukerident: "   " }),
      Either.right({ id: "1", hasBrukerident: true })
    )
  })

  const brukeridentCases: ReadonlyArray<{
    readonly name: string
    readonly wire: Record<string, unknown>
    readonly brukerident: string | undefined
    readonly hasBrukerident: boolean
  }> = [
    { name: "absent key", wire: {}, brukerident: undefined, hasBrukerident: false },
    { name: "null", wire: { brukerident: null }, brukerident: undefined, hasBrukerident: true },
    { name: "empty", wire: { brukerident: "" }, brukerident: undefined, hasBrukerident: true },
    { name: "blank", wire: { brukerident: " \t" }, brukerident: undefined, hasBrukerident: true },
    { name: "a value", wire: { brukerident: "KNO" }, brukerident: "KNO", hasBrukerident: true }
  ]
  for (const c of brukeridentCases) {
    it(`records whether the answer carried brukerident: ${c.name}`, () => {
      const employee = Schema.decodeUnknownSync(DfoEmployee)({ id: "00102099", ...c.wire })
      assert.strictEqual(employee.brukerident, c.brukerident)
      assert.strictEqual(employee.hasBrukerident, c.hasBrukerident)
    })
  }

  it("encodes a known-empty brukerident as null and an unknown one as absent", () => {
    const encode = Schema.encodeSync(DfoEmployee)
    assert.deepStrictEqual(encode({ id: "1", hasBrukerident: true }), {
      id: "1",
      brukerident: null
    })
    assert.deepStrictEqual(encode({ id: "1", hasBrukerident: false }), { id: "1" })
  })

  it("accepts a numeric id and reads it as text", () => {
    assert.deepStrictEqual(
      decode({ id: 30202, epost: "a@b.no" }),
      Either.right({ id: "30202", epost: "a@b.no", hasBrukerident: false })
    )
  })

  it("rejects an employee without an id or with a non-text field", () => {
    assert.isTrue(Either.isLeft(decode({ eksternIdent: "a@b.no" })))
    assert.isTrue(Either.isLeft(decode({ id: "1", epost: 42 })))
    assert.isTrue(Either.isLeft(decode({ id: "1", brukerident: 42 })))
    assert.isTrue(Either.isLeft(decode({ id: true })))
  })

  it("decodes the list envelope and the fault body", () => {
    assert.deepStrictEqual(
      decodeList({ ansatt: [{ id: "1", epost: null }] }),
      Either.right({ ansatt: [{ id: "1", hasBrukerident: false }] })
    )
    assert.deepStrictEqual(
      Schema.decodeUnknownEither(DfoFault)({ standard: { faultText: "IKKE ANSATT 1", code: 9 } }),
      Either.right({ standard: { faultText: "IKKE ANSATT 1" } })
    )
  })

  it("decodes `ansatt` as one object (the older form) into a list of one", () => {
    assert.deepStrictEqual(
      decodeList({ ansatt: { id: "00030202", brukerident: null } }),
      Either.right({ ansatt: [{ id: "00030202", hasBrukerident: true }] })
    )
  })

  it("decodes an empty list as no employee, and refuses an envelope without `ansatt`", () => {
    assert.deepStrictEqual(decodeList({ ansatt: [] }), Either.right({ ansatt: [] }))
    assert.isTrue(Either.isLeft(decodeList({})))
    assert.isTrue(Either.isLeft(decodeList({ ansatt: { fornavn: "Kari" } })))
  })

  it("validates employee ids as 1–8 digits", () => {
    for (const ok of ["0", "7", "30202", "00102099", "99999999"]) {
      assert.isTrue(isEmployeeId(ok), ok)
    }
    for (const bad of ["", "123456789", "000000001", "123456789012", "12a", " 1", "1 ", "1/2"]) {
      assert.isFalse(isEmployeeId(bad), bad)
    }
    for (const bad of ["../1", "-1", "1.0", "１２", "1\n"]) assert.isFalse(isEmployeeId(bad), bad)
  })

  it("knows DFØ's field limits", () => {
    assert.deepStrictEqual(fieldLimits, { eksternIdent: 241, epost: 241, brukerident: 8 })
  })

  const value = fc.oneof(fc.constant(null), fc.constant(""), fc.constant("  "), fc.string())
  const wire = fc.record(
    {
      id: fc.oneof(fc.stringMatching(/^\d{1,8}$/), fc.integer({ min: 0, max: 99_999_999 })),
      eksternIdent: value,
      epost: value,
      brukerident: value,
      fornavn: fc.string()
    },
    { requiredKeys: ["id"] }
  )

  it.prop("a decoded employee round-trips through its encoding", [wire], ([raw]) => {
    const decoded = Schema.decodeUnknownSync(DfoEmployee)(raw)
    const again = Schema.decodeUnknownSync(DfoEmployee)(Schema.encodeSync(DfoEmployee)(decoded))
    assert.deepStrictEqual(again, decoded)
  })

  it.prop("hasBrukerident is exactly whether the answer carried the key", [wire], ([raw]) => {
    const decoded = Schema.decodeUnknownSync(DfoEmployee)(raw)
    assert.strictEqual(decoded.hasBrukerident, "brukerident" in raw)
    if (decoded.brukerident !== undefined) assert.notStrictEqual(decoded.brukerident.trim(), "")
  })

  it.prop("`ansatt` as one object decodes like a list of that one", [wire], ([raw]) => {
    assert.deepStrictEqual(
      Schema.decodeUnknownSync(DfoEmployeeList)({ ansatt: raw }),
      Schema.decodeUnknownSync(DfoEmployeeList)({ ansatt: [raw] })
    )
  })
})

describe("employee ids compare by numeric value (CONTRACT §1, §3)", () => {
  const keyCases: ReadonlyArray<readonly [string, string]> = [
    ["00030202", "30202"],
    ["30202", "30202"],
    ["00102099", "102099"],
    ["00000000", "0"],
    ["0", "0"],
    ["10", "10"],
    ["00000010", "10"]
  ]
  for (const [id, key] of keyCases) {
    it(`employeeKey(${JSON.stringify(id)}) = ${JSON.stringify(key)}`, () => {
      assert.strictEqual(employeeKey(id), key)
    })
  }

  it("tells the same employee from another", () => {
    assert.isTrue(sameEmployee("30202", "00030202"))
    assert.isTrue(sameEmployee("00030202", "030202"))
    assert.isTrue(sameEmployee("0", "00000000"))
    assert.isFalse(sameEmployee("30202", "302020"))
    assert.isFalse(sameEmployee("00030202", "00030203"))
    assert.isFalse(sameEmployee("1", "10"))
  })

  it("lists every spelling of an id up to 8 digits", () => {
    assert.deepStrictEqual(employeeIdSpellings("30202"), ["30202", "030202", "0030202", "00030202"])
    assert.deepStrictEqual(employeeIdSpellings("00030202"), employeeIdSpellings("30202"))
    assert.deepStrictEqual(employeeIdSpellings("12345678"), ["12345678"])
    assert.strictEqual(employeeIdSpellings("0").length, 8)
    assert.include(employeeIdSpellings("0"), "00000000")
  })

  const number = fc.integer({ min: 0, max: 99_999_999 })
  /** `n` written with zeros in front, at most 8 digits in all. */
  const padded = (n: number) =>
    fc.integer({ min: String(n).length, max: 8 }).map((width) => String(n).padStart(width, "0"))
  const anId = fc.stringMatching(/^\d{1,8}$/)

  it.prop(
    "any two zero paddings of one number are the same employee, with that number as key",
    [number.chain((n) => fc.tuple(fc.constant(n), padded(n), padded(n)))],
    ([[n, a, b]]) => {
      assert.strictEqual(employeeKey(a), String(n))
      assert.strictEqual(employeeKey(b), String(n))
      assert.isTrue(sameEmployee(a, b))
      assert.isTrue(sameEmployee(b, a))
    }
  )

  it.prop(
    "ids of different numbers are never the same employee, however padded",
    [
      fc
        .tuple(number, number)
        .filter(([n, m]) => n !== m)
        .chain(([n, m]) => fc.tuple(padded(n), padded(m)))
    ],
    ([[a, b]]) => {
      assert.isFalse(sameEmployee(a, b))
      assert.notStrictEqual(employeeKey(a), employeeKey(b))
    }
  )

  it.prop("sameEmployee is numeric equality on 1–8 digit ids", [anId, anId], ([a, b]) => {
    assert.strictEqual(sameEmployee(a, b), Number(a) === Number(b))
  })

  it.prop(
    "employeeIdSpellings holds the id; every spelling is 1–8 digits with the same key",
    [anId],
    ([id]) => {
      const spellings = employeeIdSpellings(id)
      assert.include(spellings, id)
      assert.strictEqual(new Set(spellings).size, spellings.length)
      for (const spelling of spellings) {
        assert.isTrue(isEmployeeId(spelling), spelling)
        assert.strictEqual(employeeKey(spelling), employeeKey(id))
      }
    }
  )

  it.prop(
    "employeeIdSpellings lists every 1–8 digit id of the same employee",
    [number.chain((n) => fc.tuple(padded(n), padded(n)))],
    ([[a, b]]) => {
      assert.include(employeeIdSpellings(a), b)
      assert.deepStrictEqual(employeeIdSpellings(a), employeeIdSpellings(b))
    }
  )
})

describe("DfoLookup", () => {
  it("tells a found employee from a missing one", () => {
    const describe = DfoLookup.$match({
      Found: ({ employee }) => `found ${employee.id}`,
      NotFound: ({ faultText }) => `not found: ${faultText}`
    })
    assert.strictEqual(
      describe(DfoLookup.Found({ employee: { id: "00102099", hasBrukerident: false } })),
      "found 00102099"
    )
    assert.strictEqual(
      describe(DfoLookup.NotFound({ faultText: "IKKE ANSATT 00102099" })),
      "not found: IKKE ANSATT 00102099"
    )
    assert.isTrue(DfoLookup.$is("NotFound")(DfoLookup.NotFound({ faultText: "" })))
  })
})
