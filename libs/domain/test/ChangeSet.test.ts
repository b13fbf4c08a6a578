import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  applyPatch,
  diff,
  holds,
  unheldFields,
  type DfoEmployee,
  type DfoField,
  type DfoPatch,
  type WritebackRecord
} from "../src/index.js"

/** An employee as DFØ answers it; by default the answer holds `brukerident` empty (`null`). */
const employee = (fields: Partial<Omit<DfoEmployee, "id">> = {}): DfoEmployee => ({
  id: "00102099",
  hasBrukerident: true,
  ...fields
})
const record: WritebackRecord = { eksternIdent: "kari@uni.no", epost: "kari.nordmann@uni.no" }
const withBrukerident: WritebackRecord = { ...record, brukerident: "00102099" }

describe("diff (CONTRACT §4 step 8)", () => {
  it("writes every field DFØ holds empty", () => {
    const set = diff(withBrukerident, employee())
    assert.deepStrictEqual(set.changes, [
      { field: "eksternIdent", before: "", after: "kari@uni.no" },
      { field: "epost", before: "", after: "kari.nordmann@uni.no" },
      { field: "brukerident", before: "", after: "00102099" }
    ])
    assert.deepStrictEqual(set.patch, {
      eksternIdent: "kari@uni.no",
      epost: "kari.nordmann@uni.no",
      brukerident: "00102099"
    })
    assert.deepStrictEqual(set.keptFields, [])
    assert.deepStrictEqual(set.keptBecause, [])
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
    for (const dfo of [
      employee({ ...record, brukerident: "someone" }),
      employee({ ...record }),
      employee({ ...record, hasBrukerident: false })
    ]) {
      assert.deepStrictEqual(diff(record, dfo), {
        changes: [],
        patch: {},
        keptFields: [],
        keptBecause: []
      })
    }
  })

  // Write-once brukerident: what DFØ's answer holds decides (CONTRACT §4 step 8).
  const brukeridentCases: ReadonlyArray<{
    readonly name: string
    readonly dfo: DfoEmployee
    readonly written: boolean
    readonly kept: boolean
    readonly because?: RegExp
  }> = [
    {
      name: "the answer holds the key empty (null or blank) → written",
      dfo: employee({ ...record }),
      written: true,
      kept: false
    },
    {
      name: "the answer lacks the key → kept, not known to be empty",
      dfo: employee({ ...record, hasBrukerident: false }),
      written: false,
      kept: true,
      because: /did not include the field.*not known to be empty/
    },
    {
      name: "DFØ holds another value → kept, naming it",
      dfo: employee({ ...record, brukerident: "KNO" }),
      written: false,
      kept: true,
      because: /"KNO".*write-once/
    },
    {
      name: "DFØ holds the value unpadded → kept (brukerident compares as text)",
      dfo: employee({ ...record, brukerident: "102099" }),
      written: false,
      kept: true,
      because: /"102099"/
    },
    {
      name: "DFØ holds the same value → neither written nor listed",
      dfo: employee({ ...record, brukerident: "00102099" }),
      written: false,
      kept: false
    },
    {
      name: "DFØ holds the same value with spaces → neither written nor listed",
      dfo: employee({ ...record, brukerident: " 00102099 " }),
      written: false,
      kept: false
    }
  ]
  for (const c of brukeridentCases) {
    it(`brukerident: ${c.name}`, () => {
      const set = diff(withBrukerident, c.dfo)
      assert.deepStrictEqual(set.patch, c.written ? { brukerident: "00102099" } : {})
      assert.deepStrictEqual(
        set.changes,
        c.written ? [{ field: "brukerident", before: "", after: "00102099" }] : []
      )
      assert.deepStrictEqual(set.keptFields, c.kept ? ["brukerident"] : [])
      assert.strictEqual(set.keptBecause.length, set.keptFields.length)
      if (c.because) assert.match(set.keptBecause[0] ?? "", c.because)
    })
  }

  it("keeps a different brukerident and still writes the other fields", () => {
    const set = diff(
      withBrukerident,
      employee({ eksternIdent: "old@uni.no", epost: record.epost, brukerident: "other" })
    )
    assert.deepStrictEqual(set.patch, { eksternIdent: "kari@uni.no" })
    assert.deepStrictEqual(set.keptFields, ["brukerident"])
  })

  it("writes the other fields when the answer lacks brukerident", () => {
    const set = diff(withBrukerident, employee({ epost: record.epost, hasBrukerident: false }))
    assert.deepStrictEqual(set.patch, { eksternIdent: "kari@uni.no" })
    assert.deepStrictEqual(set.keptFields, ["brukerident"])
  })

  it("compares brukerident case-sensitively", () => {
    const set = diff(
      { ...record, brukerident: "KNO001" },
      employee({ ...record, brukerident: "kno001" })
    )
    assert.deepStrictEqual(set.keptFields, ["brukerident"])
    assert.deepStrictEqual(set.patch, {})
  })

  const text = fc.oneof(
    fc.constant(""),
    fc.constant(" "),
    fc.string({ maxLength: 6 }),
    fc.emailAddress()
  )
  const nonBlank = fc.string({ minLength: 1, maxLength: 10 }).filter((s) => s.trim() !== "")
  /** An employee as decoding builds one: no blank text, `hasBrukerident` when it holds one. */
  const anEmployee = fc
    .record(
      {
        eksternIdent: nonBlank,
        epost: nonBlank,
        brukerident: fc.oneof(nonBlank, fc.constant("00000001")),
        hasBrukerident: fc.boolean()
      },
      { requiredKeys: ["hasBrukerident"] }
    )
    .map((e): DfoEmployee => ({
      id: "00000001",
      ...e,
      hasBrukerident: e.hasBrukerident || e.brukerident !== undefined
    }))
  const aRecord = fc.record(
    { eksternIdent: text, epost: text, brukerident: fc.oneof(text, fc.constant("00000001")) },
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
    for (const change of set.changes) assert.strictEqual(set.patch[change.field], change.after)
  })

  it.prop("every kept field has its reason", [aRecord, anEmployee], ([r, e]) => {
    const set = diff(r, e)
    assert.strictEqual(set.keptBecause.length, set.keptFields.length)
    for (const field of set.keptFields) assert.strictEqual(field, "brukerident")
  })

  it.prop(
    "a non-empty brukerident in DFØ is never in the patch",
    [aRecord, anEmployee],
    ([r, e]) => {
      fc.pre((e.brukerident ?? "").trim() !== "")
      const set = diff(r, e)
      assert.isUndefined(set.patch.brukerident)
      assert.isFalse(set.changes.some((c) => c.field === "brukerident"))
    }
  )

  it.prop(
    "an answer without the brukerident key never has brukerident written",
    [aRecord, anEmployee],
    ([r, e]) => {
      const absent: DfoEmployee = { id: e.id, hasBrukerident: false }
      const set = diff(r, { ...absent, ...(e.epost === undefined ? {} : { epost: e.epost }) })
      assert.isUndefined(set.patch.brukerident)
      const wanted = r.brukerident?.trim() ?? ""
      assert.deepStrictEqual(set.keptFields, wanted === "" ? [] : ["brukerident"])
    }
  )

  it.prop(
    "brukerident is written only when DFØ holds the key empty",
    [aRecord, anEmployee],
    ([r, e]) => {
      if (diff(r, e).patch.brukerident !== undefined) {
        assert.isTrue(e.hasBrukerident)
        assert.isUndefined(e.brukerident)
      }
    }
  )
})

describe("holds and unheldFields (CONTRACT §3: check the answer to a write)", () => {
  const holdsCases: ReadonlyArray<readonly [DfoField, string | undefined, string, boolean]> = [
    ["epost", "kari@uni.no", "kari@uni.no", true],
    ["epost", " KARI@UNI.NO ", "kari@uni.no", true],
    ["eksternIdent", "Kari@Uni.no", "kari@uni.no ", true],
    ["epost", "old@uni.no", "kari@uni.no", false],
    ["epost", undefined, "kari@uni.no", false],
    ["brukerident", "00102099", "00102099", true],
    ["brukerident", " 00102099", "00102099", true],
    ["brukerident", "KNO", "kno", false],
    ["brukerident", "102099", "00102099", false],
    ["brukerident", undefined, "00102099", false]
  ]
  for (const [field, value, written, expected] of holdsCases) {
    it(`holds(${field}, ${JSON.stringify(value)}, ${JSON.stringify(written)}) = ${expected}`, () => {
      assert.strictEqual(holds(field, value, written), expected)
    })
  }

  it("names the written fields the answer does not hold as written", () => {
    const patch: DfoPatch = { epost: "kari@uni.no", brukerident: "00102099" }
    assert.deepStrictEqual(
      unheldFields(patch, employee({ epost: "KARI@uni.no", brukerident: "KNO" })),
      ["brukerident"]
    )
    assert.deepStrictEqual(unheldFields(patch, employee({ epost: "kari@uni.no" })), ["brukerident"])
    assert.deepStrictEqual(
      unheldFields(patch, employee({ epost: "other@uni.no", brukerident: "00102099" })),
      ["epost"]
    )
    assert.deepStrictEqual(
      unheldFields(patch, employee({ epost: "kari@uni.no", brukerident: "00102099" })),
      []
    )
  })

  it("ignores fields that were not written", () => {
    assert.deepStrictEqual(
      unheldFields({ epost: "kari@uni.no" }, employee({ epost: "kari@uni.no", brukerident: "x" })),
      []
    )
    assert.deepStrictEqual(unheldFields({}, employee()), [])
  })

  it("applyPatch marks a written brukerident as held", () => {
    const after = applyPatch(employee({ hasBrukerident: false }), { brukerident: "00102099" })
    assert.strictEqual(after.brukerident, "00102099")
    assert.isTrue(after.hasBrukerident)
    assert.isFalse(
      applyPatch(employee({ hasBrukerident: false }), { epost: "a@b.no" }).hasBrukerident
    )
  })

  const value = fc.string({ maxLength: 12 })
  const aPatch = fc.record(
    { eksternIdent: value, epost: value, brukerident: value },
    { requiredKeys: [] }
  )
  const anAnswer = fc
    .record(
      { eksternIdent: value, epost: value, brukerident: value, hasBrukerident: fc.boolean() },
      { requiredKeys: ["hasBrukerident"] }
    )
    .map((e): DfoEmployee => ({ id: "00000001", ...e }))

  it.prop("unheldFields after applyPatch is empty", [aPatch, anAnswer], ([patch, answer]) => {
    assert.deepStrictEqual(unheldFields(patch, applyPatch(answer, patch)), [])
  })

  it.prop(
    "the diff's patch, once applied, is held",
    [
      fc.record(
        { eksternIdent: value, epost: value, brukerident: value },
        { requiredKeys: ["eksternIdent", "epost"] }
      ),
      anAnswer
    ],
    ([r, answer]) => {
      const patch = diff(r, answer).patch
      assert.deepStrictEqual(unheldFields(patch, applyPatch(answer, patch)), [])
    }
  )

  it.prop("unheldFields names only written fields", [aPatch, anAnswer], ([patch, answer]) => {
    for (const field of unheldFields(patch, answer)) {
      assert.isDefined(patch[field])
      assert.isFalse(holds(field, answer[field], patch[field] ?? ""))
    }
  })

  it.prop(
    "a write-once brukerident DFØ kept is unheld whenever it differs from the write",
    [value, value.filter((s) => s.trim() !== "")],
    ([written, kept]) => {
      const unheld = unheldFields({ brukerident: written }, employee({ brukerident: kept }))
      assert.deepStrictEqual(unheld, written.trim() === kept.trim() ? [] : ["brukerident"])
    }
  )
})
