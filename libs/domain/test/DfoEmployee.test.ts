import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc, Schema } from "effect"
import { DfoEmployee, DfoEmployeeList, DfoFault, isEmployeeId } from "../src/index.js"

const decode = Schema.decodeUnknownEither(DfoEmployee)

describe("DfoEmployee (CONTRACT §3)", () => {
  it("keeps only the fields the writeback uses and ignores unknown ones", () => {
    const decoded = decode({
      id: "00102099",
      fornavn: "Kari",
      etternavn: "Nordmann",
      dfoBrukerident: "KNO",
      eksternIdent: "kari@uni.no",
      epost: "kari@uni.no",
      brukerident: "kno001",
      stillingsprosent: 100,
      tjenestested: { id: 1 }
    })
    assert.deepStrictEqual(
      decoded,
      Either.right({
        id: "00102099",
        eksternIdent: "kari@uni.no",
        epost: "kari@uni.no",
        brukerident: "kno001"
      })
    )
  })

  it("reads absent, null and blank alike as no value", () => {
    assert.deepStrictEqual(
      decode({ id: "1", eksternIdent: null, epost: "", brukerident: "   " }),
      Either.right({ id: "1" })
    )
  })

  it("rejects an employee without an id or with a non-text field", () => {
    assert.isTrue(Either.isLeft(decode({ eksternIdent: "a@b.no" })))
    assert.isTrue(Either.isLeft(decode({ id: "1", epost: 42 })))
  })

  it("decodes the list envelope and the fault body", () => {
    assert.deepStrictEqual(
      Schema.decodeUnknownEither(DfoEmployeeList)({ ansatt: [{ id: "1", epost: null }] }),
      Either.right({ ansatt: [{ id: "1" }] })
    )
    assert.deepStrictEqual(
      Schema.decodeUnknownEither(DfoFault)({ standard: { faultText: "IKKE ANSATT 1", code: 9 } }),
      Either.right({ standard: { faultText: "IKKE ANSATT 1" } })
    )
  })

  it("validates employee ids as 1–12 digits", () => {
    for (const ok of ["0", "00102099", "123456789012"]) assert.isTrue(isEmployeeId(ok), ok)
    for (const bad of ["", "1234567890123", "12a", " 1", "1/2", "../1"])
      assert.isFalse(isEmployeeId(bad), bad)
  })

  const value = fc.oneof(fc.constant(null), fc.constant(""), fc.constant("  "), fc.string())
  const wire = fc.record(
    {
      id: fc.stringMatching(/^\d{1,12}$/),
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
})
