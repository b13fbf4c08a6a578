import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { applyPatch, diff, type DfoEmployee, type WritebackRecord } from "../src/index.js"

const employee = (fields: Partial<Omit<DfoEmployee, "id">> = {}): DfoEmployee => ({
  id: "00102099",
  ...fields
})
const record: WritebackRecord = { eksternIdent: "kari@uni.no", epost: "kari.nordmann@uni.no" }

describe("diff (CONTRACT §4 step 8)", () => {
  it("writes every field DFØ lacks", () => {
    const set = diff({ ...record, brukerident: "kno001" }, employee())
    assert.deepStrictEqual(set.changes, [
      { field: "eksternIdent", before: "", after: "kari@uni.no" },
      { field: "epost", before: "", after: "kari.nordmann@uni.no" },
      { field: "brukerident", before: "", after: "kno001" }
    ])
    assert.deepStrictEqual(set.patch, {
      eksternIdent: "kari@uni.no",
      epost: "kari.nordmann@uni.no",
      brukerident: "kno001"
    })
    assert.deepStrictEqual(set.keptFields, [])
  })

  it("changes only the field that differs", () => {
    const set = diff(record, employee({ eksternIdent: "kari@uni.no", epost: "old@uni.no" }))
    assert.deepStrictEqual(set.changes, [
      { field: "epost", before: "old@uni.no", after: "kari.nordmann@uni.no" }
    ])
    assert.deepStrictEqual(set.patch, { epost: "kari.nordmann@uni.no" })
  })

  it("is unchanged when e-mail fields differ only by case and whitespace", () => {
    const set = diff(
      record,
      employee({ eksternIdent: " KARI@UNI.NO ", epost: "Kari.Nordmann@Uni.no" })
    )
    assert.deepStrictEqual(set.changes, [])
    assert.deepStrictEqual(set.patch, {})
  })

  it("trims the LDAP value before comparing and writing", () => {
    const set = diff({ eksternIdent: " kari@uni.no ", epost: "kari.nordmann@uni.no\t" }, employee())
    assert.deepStrictEqual(set.patch, {
      eksternIdent: "kari@uni.no",
      epost: "kari.nordmann@uni.no"
    })
  })

  it("ignores brukerident when its writeback is off (not in the record)", () => {
    const set = diff(record, employee({ ...record, brukerident: "someone" }))
    assert.deepStrictEqual(set, { changes: [], patch: {}, keptFields: [] })
  })

  it("writes brukerident when DFØ has none", () => {
    assert.deepStrictEqual(diff({ ...record, brukerident: "kno001" }, employee(record)).patch, {
      brukerident: "kno001"
    })
  })

  it("treats a blank brukerident in DFØ as none", () => {
    assert.deepStrictEqual(
      diff({ ...record, brukerident: "kno001" }, employee({ ...record, brukerident: "  " })).patch,
      { brukerident: "kno001" }
    )
  })

  it("keeps the same brukerident without listing it", () => {
    const set = diff(
      { ...record, brukerident: "kno001" },
      employee({ ...record, brukerident: "kno001" })
    )
    assert.deepStrictEqual(set, { changes: [], patch: {}, keptFields: [] })
  })

  it("never changes a different brukerident (write-once) and lists it as kept", () => {
    const set = diff(
      { ...record, brukerident: "kno001" },
      employee({ eksternIdent: "old@uni.no", epost: record.epost, brukerident: "other" })
    )
    assert.deepStrictEqual(set.patch, { eksternIdent: "kari@uni.no" })
    assert.deepStrictEqual(set.keptFields, ["brukerident"])
  })

  it("compares brukerident case-sensitively", () => {
    const set = diff(
      { ...record, brukerident: "KNO001" },
      employee({ ...record, brukerident: "kno001" })
    )
    assert.deepStrictEqual(set.keptFields, ["brukerident"])
  })

  const text = fc.oneof(
    fc.constant(""),
    fc.constant(" "),
    fc.string({ maxLength: 6 }),
    fc.emailAddress()
  )
  const anEmployee = fc.record(
    { id: fc.constant("00000001"), eksternIdent: text, epost: text, brukerident: text },
    { requiredKeys: ["id"] }
  )
  const aRecord = fc.record(
    { eksternIdent: text, epost: text, brukerident: text },
    { requiredKeys: ["eksternIdent", "epost"] }
  )

  it.prop("applying the diff then diffing again finds nothing", [aRecord, anEmployee], ([r, e]) => {
    const after = applyPatch(e, diff(r, e).patch)
    assert.deepStrictEqual(diff(r, after).changes, [])
  })

  it.prop("the patch holds exactly the changed fields", [aRecord, anEmployee], ([r, e]) => {
    const set = diff(r, e)
    assert.deepStrictEqual(
      Object.keys(set.patch),
      set.changes.map((c) => c.field)
    )
  })

  it.prop(
    "a non-empty brukerident in DFØ is never in the patch",
    [aRecord, anEmployee],
    ([r, e]) => {
      if ((e.brukerident ?? "").trim() !== "") assert.isUndefined(diff(r, e).patch.brukerident)
    }
  )
})
