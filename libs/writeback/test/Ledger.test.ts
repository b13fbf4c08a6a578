import { countsAddUp, SapFetchError, type UserResult } from "@dfo-writeback/domain"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Ledger from "../src/internal/run/ledger.js"
import * as Results from "../src/internal/results.js"

const user = (name: string) => ({
  dn: `idautoID=${name}`,
  idautoId: name,
  sapId: "00100001",
  disabled: false,
  deleted: false,
  entitlements: [],
  businessRoles: [],
  multiValued: []
})
const skippedDisabled = Results.skipped(user("d"), "DISABLED", "account is disabled")
const notInSap = Results.notInSap(user("n"), "00100001", "IKKE ANSATT")
const unchanged = Results.unchanged(user("u"), {
  changes: [],
  patch: {},
  keptFields: [],
  keptBecause: []
})
const failure = (name: string): UserResult =>
  Results.failed(
    user(name),
    new SapFetchError({ sapId: "00100001", status: 503, reason: "busy", attempts: 2 })
  )

describe("the run ledger", () => {
  it("records results into counts that add up, and skips by reason", () => {
    const results = [skippedDisabled, notInSap, unchanged, failure("f")]
    const state = results.reduce((s, r) => Ledger.record(s, r, 25)[0], Ledger.emptyLedger)
    assert.deepStrictEqual(state.counts, {
      total: 4,
      skipped: 2,
      unchanged: 1,
      updated: 0,
      wouldUpdate: 0,
      updateFailed: 0,
      fetchFailed: 1
    })
    assert.isTrue(countsAddUp(state.counts))
    assert.deepStrictEqual(state.skips, { DISABLED: 1, NOT_IN_SAP: 1 })
    assert.strictEqual(state.consecutiveFailures, 1)
    assert.isUndefined(state.abortReason)
  })

  it("the n-th failure in a row aborts, naming the setting and the last failure", () => {
    let state = Ledger.emptyLedger
    const notes: Array<Ledger.Failure | undefined> = []
    for (const name of ["a", "b", "c"]) {
      const [next, note] = Ledger.record(state, failure(name), 3)
      state = next
      notes.push(note)
    }
    assert.deepStrictEqual(
      notes.map((n) => n?.tripped === undefined),
      [true, true, false]
    )
    assert.match(state.abortReason ?? "", /3 consecutive.*ABORT_AFTER_CONSECUTIVE_FAILURES=3.*busy/)
    // Once stopped, a later failure is still counted but trips nothing again.
    const [after, note] = Ledger.record(state, failure("d"), 3)
    assert.isUndefined(note?.tripped)
    assert.strictEqual(after.abortReason, state.abortReason)
    assert.strictEqual(after.counts.fetchFailed, 4)
  })

  it("only a result that proves DFØ answered breaks a streak", () => {
    const two = [failure("a"), failure("b")].reduce(
      (s, r) => Ledger.record(s, r, 25)[0],
      Ledger.emptyLedger
    )
    // A skip before any DFØ call proves nothing about DFØ.
    assert.strictEqual(Ledger.record(two, skippedDisabled, 25)[0].consecutiveFailures, 2)
    assert.strictEqual(Ledger.record(two, notInSap, 25)[0].consecutiveFailures, 0)
    assert.strictEqual(Ledger.record(two, unchanged, 25)[0].consecutiveFailures, 0)
  })

  it("UNCHANGED users counted without results count as their results would", () => {
    const two = [failure("a"), failure("b")].reduce(
      (s, r) => Ledger.record(s, r, 25)[0],
      Ledger.emptyLedger
    )
    const byResults = [unchanged, unchanged].reduce((s, r) => Ledger.record(s, r, 25)[0], two)
    assert.deepStrictEqual(Ledger.recordUnchanged(two, 2), byResults)
    assert.strictEqual(Ledger.recordUnchanged(two, 0), two)
  })

  it("a result recounted as a duplicate moves the counters, not the failure streak", () => {
    const duplicate = Results.duplicate(user("n"), "00100001", ["other"])
    const counted = Ledger.recordUnchanged(
      [failure("a"), notInSap, failure("b")].reduce(
        (s, r) => Ledger.record(s, r, 25)[0],
        Ledger.emptyLedger
      ),
      1
    )
    const streak = Ledger.record(counted, failure("c"), 25)[0]
    const moved = Ledger.reclassify(
      Ledger.reclassify(streak, notInSap, duplicate),
      Ledger.unchanged,
      duplicate
    )
    assert.deepStrictEqual(moved.skips, { DUPLICATE_EMPLOYEE_ID: 2 })
    assert.strictEqual(moved.counts.total, 5)
    assert.strictEqual(moved.counts.skipped, 2)
    assert.strictEqual(moved.counts.unchanged, 0)
    assert.strictEqual(moved.counts.fetchFailed, 3)
    assert.strictEqual(moved.consecutiveFailures, 1)
    assert.isTrue(countsAddUp(moved.counts))
  })

  it("the first abort reason wins", () => {
    const state = Ledger.abort(Ledger.abort(Ledger.emptyLedger, "interrupted"), "later")
    assert.strictEqual(state.abortReason, "interrupted")
  })

  it.effect(
    "in a Ref: record returns the failures, abort stops the run, state reads the counts",
    () =>
      Effect.gen(function* () {
        const ledger = yield* Ledger.make(2)
        assert.isTrue(yield* ledger.running)
        const failures = yield* ledger.record([failure("a"), unchanged, failure("b"), failure("c")])
        assert.deepStrictEqual(
          failures.map((f) => [f.result.idautoId, f.tripped !== undefined]),
          [
            ["a", false],
            ["b", false],
            ["c", true]
          ]
        )
        assert.isTrue(yield* ledger.aborted)
        yield* ledger.abort("interrupted")
        const state = yield* ledger.state
        assert.match(state.abortReason ?? "", /2 consecutive/)
        assert.strictEqual(state.counts.total, 4)
      })
  )
})
