import {
  applyPatch,
  type DfoEmployee,
  type DfoField,
  diff,
  holds,
  type WritebackRecord
} from "@dfo-writeback/domain"
import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc, Option } from "effect"
import * as Next from "../src/internal/run/nextWrite.js"
import type { PlannedUser } from "../src/Plan.js"

const fields: ReadonlyArray<DfoField> = ["eksternIdent", "epost", "brukerident"]

/** Values from a small pool, in several spellings, so wanted and held often agree. */
const mail = fc.constantFrom("a@x.no", "A@X.no ", "b@x.no", "c@x.no")
const ident = fc.constantFrom("00000001", "1", "kno", " kno")

/** What the directory derives: `brukerident` only when its writeback is on. */
const aRecord = fc
  .record(
    { eksternIdent: mail, epost: mail, brukerident: ident },
    { requiredKeys: ["eksternIdent", "epost"] }
  )
  .map((r): WritebackRecord => r)

/** An employee as decoding builds one: no blank text, `hasBrukerident` when it holds one. */
const anEmployee = fc
  .record(
    {
      eksternIdent: fc.option(mail, { nil: undefined }),
      epost: fc.option(mail, { nil: undefined }),
      brukerident: fc.option(ident, { nil: undefined }),
      hasBrukerident: fc.boolean()
    },
    { requiredKeys: ["hasBrukerident"] }
  )
  .map((e): DfoEmployee => ({
    id: "00000001",
    ...Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)),
    hasBrukerident: e.hasBrukerident || e.brukerident !== undefined
  }))

/** Whether DFØ's `employee` was written a value for `field` it should have kept. */
const overwritesKept = (employee: DfoEmployee, field: DfoField, decision: Next.WriteDecision) =>
  decision._tag === "Send" &&
  field === "brukerident" &&
  decision.changeSet.patch.brukerident !== undefined &&
  ((employee.brukerident?.trim() ?? "") !== "" || !employee.hasBrukerident)

/** The plan a review approved: made from what DFØ held then. */
const planOf = (wanted: WritebackRecord, then: DfoEmployee): PlannedUser | undefined => {
  const { changes, keptFields } = diff(wanted, then)
  const [first, ...rest] = changes
  return first === undefined
    ? undefined
    : { idauto_id: "u1", sap_id: "00000001", changes: [first, ...rest], kept_fields: keptFields }
}

describe("nextWrite (CONTRACT §4 steps 8 and 10 without I/O)", () => {
  it.prop(
    "sends only the fields DFØ does not hold, and after the write there is nothing left to send",
    [aRecord, anEmployee],
    ([wanted, current]) => {
      const [decision, state] = Next.nextWrite(Next.start(wanted), current)
      if (decision._tag !== "Send") {
        assert.strictEqual(decision._tag, "Unchanged")
        return
      }
      for (const field of fields) {
        const value = decision.changeSet.patch[field]
        if (value === undefined) continue
        assert.isFalse(holds(field, current[field], value), `${field} already held`)
        assert.strictEqual(value, wanted[field]?.trim())
      }
      const [again] = Next.nextWrite(state, applyPatch(current, decision.changeSet.patch))
      assert.strictEqual(again._tag, "Unchanged")
    }
  )

  it.prop(
    "never writes a brukerident over one DFØ holds, nor when its answer leaves the key out",
    [aRecord, anEmployee, anEmployee],
    ([wanted, first, meanwhile]) => {
      // The first decision, then a retry's re-read finding another employee state.
      const [decision, state] = Next.nextWrite(Next.start(wanted), first)
      assert.isFalse(overwritesKept(first, "brukerident", decision))
      const [retry] = Next.nextWrite(Next.failedWith(state, undefined), meanwhile)
      assert.isFalse(overwritesKept(meanwhile, "brukerident", retry))
    }
  )

  it.prop(
    "counts only the writes it sends; an unanswered write marks what follows",
    [
      aRecord,
      fc.array(fc.tuple(anEmployee, fc.option(fc.constantFrom(503, 429))), { maxLength: 6 })
    ],
    ([wanted, rounds]) => {
      let state = Next.start(wanted)
      let sends = 0
      let unanswered = false
      for (const [current, status] of rounds) {
        const [decision, next] = Next.nextWrite(state, current)
        assert.deepStrictEqual(next.last, diff(wanted, current))
        if (decision._tag === "Unchanged") assert.strictEqual(decision.afterUnanswered, unanswered)
        if (decision._tag === "Send") {
          sends += 1
          assert.strictEqual(decision.attempt, sends)
        }
        // Every round's write (if any) fails: without a status DFØ may have applied it.
        state = decision._tag === "Send" ? Next.failedWith(next, status ?? undefined) : next
        unanswered = state.unanswered
        if (decision._tag === "Send" && status === null) assert.isTrue(state.unanswered)
      }
      assert.strictEqual(state.sent, sends)
    }
  )

  it.prop(
    "a reviewed plan writes only while DFØ still holds every planned before",
    [aRecord, anEmployee, anEmployee],
    ([wanted, then, now]) => {
      const reviewed = planOf(wanted, then)
      if (reviewed === undefined) return
      const [decision] = Next.nextWrite(Next.start(wanted, reviewed), now)
      if (decision._tag !== "Send") return
      for (const change of decision.changeSet.changes) {
        const planned: PlannedUser["changes"][number] | undefined = reviewed.changes.find(
          (c) => c.field === change.field
        )
        assert.isDefined(planned, `${change.field} is not in the plan`)
        assert.isTrue(holds(change.field, now[change.field], planned?.before ?? ""))
      }
    }
  )

  it("a reviewed plan whose before DFØ no longer holds is stale", () => {
    const wanted = { eksternIdent: "a@x.no", epost: "a@x.no" }
    const then: DfoEmployee = { id: "00000001", epost: "a@x.no", hasBrukerident: false }
    const reviewed = planOf(wanted, then)
    const now: DfoEmployee = { ...then, eksternIdent: "b@x.no" }
    const [decision, state] = Next.nextWrite(Next.start(wanted, reviewed), now)
    assert.strictEqual(decision._tag, "Stale")
    assert.strictEqual(state.sent, 0)
  })

  it.prop(
    "an accepted write fails exactly on the fields DFØ's answer does not hold",
    [aRecord, anEmployee, fc.option(anEmployee, { nil: undefined })],
    ([wanted, current, answer]) => {
      const changeSet = diff(wanted, current)
      const written = Next.written(changeSet, Option.fromNullable(answer))
      if (answer === undefined) {
        assert.deepStrictEqual(written, { _tag: "Updated", verified: false })
        return
      }
      const unheld = fields.filter((field) => {
        const value = changeSet.patch[field]
        return value !== undefined && !holds(field, answer[field], value)
      })
      assert.deepStrictEqual(
        written,
        unheld.length === 0
          ? { _tag: "Updated", verified: true }
          : { _tag: "Unheld", fields: unheld }
      )
    }
  )
})
