// The CLI's view of a run: a pure fold over its events, tested without processes.
import { countsAddUp, emptyCounts, RunStarted, UserResult } from "@dfo-writeback/domain"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, FastCheck as fc } from "effect"
import * as CutWrites from "../src/CutWrites.js"
import * as Progress from "../src/Progress.js"
import * as RunView from "../src/RunView.js"

const outcomes = ["UPDATED", "UNCHANGED", "SKIPPED", "FAILED", "WOULD_UPDATE"] as const

const resultOf = (outcome: (typeof outcomes)[number], n: number) =>
  new UserResult({
    idautoId: `id-${n}`,
    username: `user${n}`,
    uhUsername: "",
    sapId: String(100000 + n),
    outcome,
    ...(outcome === "SKIPPED" ? { skipReason: "DISABLED" as const } : {}),
    ...(outcome === "FAILED" ? { errorCode: "SAP_UPDATE_FAILED" as const } : {}),
    changes: [],
    keptFields: [],
    message: ""
  })

const anOutcome = fc.constantFrom(...outcomes)
const started = new RunStarted({
  runId: "run-1",
  logOnly: false,
  readOnly: false,
  processAll: true
})

const fold = (events: ReadonlyArray<RunView.Event>, keep = RunView.keepNone) =>
  events.reduce(RunView.step(keep), RunView.initial)

const write = (n: number): CutWrites.Write => ({ sapId: String(100000 + n), idautoId: `id-${n}` })

describe("RunView", () => {
  it.prop("counts every result once, and the counts add up", [fc.array(anOutcome)], ([list]) => {
    const view = fold([started, ...list.map(resultOf)])
    assert.strictEqual(view.runId, "run-1")
    assert.strictEqual(view.counts.total, list.length)
    assert.isTrue(countsAddUp(view.counts))
    assert.strictEqual(view.skips.DISABLED ?? 0, list.filter((o) => o === "SKIPPED").length)
  })

  it.prop("keeps only the results asked for", [fc.array(anOutcome)], ([list]) => {
    const wanted = (r: UserResult) => r.outcome === "WOULD_UPDATE"
    const view = fold(list.map(resultOf), wanted)
    assert.deepStrictEqual(
      Chunk.toReadonlyArray(view.kept).map((r) => r.outcome),
      list.filter((o) => o === "WOULD_UPDATE")
    )
    assert.strictEqual(Chunk.size(fold(list.map(resultOf)).kept), 0)
  })

  it.prop(
    "a cut counts its writes as failed updates with an unknown outcome",
    [fc.array(anOutcome), fc.nat({ max: 8 })],
    ([list, cut]) => {
      const writes = Array.from({ length: cut }, (_, n) => write(n))
      const view = fold([started, ...list.map(resultOf), { _tag: "Cut", writes }])
      assert.strictEqual(view.counts.total, list.length + cut)
      assert.strictEqual(view.counts.updateFailed, list.filter((o) => o === "FAILED").length + cut)
      assert.isTrue(countsAddUp(view.counts))
      assert.deepStrictEqual(view.unknown, writes)
      const summary = RunView.cutSummary(view, {
        dfoRequests: 12,
        dfoRetries: 1,
        dfoRateLimited: 0,
        logOnly: false,
        durationMs: 5,
        caller: "ops"
      })
      assert.isTrue(summary.aborted)
      assert.match(summary.abortReason, /^interrupted/)
      assert.strictEqual(summary.dfoRequests, 12)
      assert.strictEqual(summary.updateFailed, view.counts.updateFailed)
      assert.include(summary.abortReason, cut === 0 ? "no write in flight" : `${cut} write`)
    }
  )

  it("the first total counts; the pace is read from the users examined since", () => {
    const before = fold([started, resultOf("UNCHANGED", 1), resultOf("UNCHANGED", 2)])
    const told = RunView.step(RunView.keepNone)(before, {
      _tag: "Total",
      users: 10,
      at: 1_000,
      counted: undefined
    })
    assert.deepStrictEqual(told.total, { users: 10, at: 1_000, examinedThen: 2 })
    const again = RunView.step(RunView.keepNone)(told, {
      _tag: "Total",
      users: 99,
      at: 5_000,
      counted: undefined
    })
    assert.deepStrictEqual(again.total, told.total)
    // Two more users in 2 s: 1 a second, 6 left, about 6 s.
    const view = [resultOf("UPDATED", 3), resultOf("UPDATED", 4)].reduce(
      RunView.step(RunView.keepNone),
      told
    )
    const progress = Progress.at(view, 0, 3_000)
    assert.strictEqual(progress.total, 10)
    assert.strictEqual(progress.etaSeconds, 6)
    assert.include(Progress.line(progress), "examined 4/10 (40 %)")
    assert.include(Progress.line(progress), "about 6 s left")
    // Under a second after the total, or nothing examined since: no estimate yet.
    assert.isUndefined(Progress.at(view, 0, 1_500).etaSeconds)
    assert.isUndefined(Progress.at(told, 0, 9_000).etaSeconds)
    assert.include(Progress.line(Progress.at(told, 0, 9_000)), "estimating")
  })

  it("a full run's own counts take over: UNCHANGED users it only counted advance progress", () => {
    // Under `count` the run sends no result for its 40 UNCHANGED users; it counts them.
    const counted = (unchanged: number, skipped: number) => ({
      counts: {
        ...emptyCounts,
        total: unchanged + skipped,
        unchanged,
        skipped
      },
      skips: { DISABLED: skipped }
    })
    const seen = fold([started, resultOf("SKIPPED", 1), resultOf("SKIPPED", 2)])
    assert.strictEqual(Progress.at(seen, 0, 1_000).examined, 2)
    const step = RunView.step(RunView.keepNone)
    const read = step(seen, { _tag: "Counted", counted: counted(40, 2) })
    const progress = Progress.at(read, 0, 1_000)
    assert.strictEqual(progress.examined, 42)
    assert.strictEqual(progress.unchanged, 40)
    assert.include(Progress.line(progress), "examined 42 · changed 0 · unchanged 40 · skipped 2")
    // The total's pace counts from the counts it came with.
    const told = step(read, { _tag: "Total", users: 100, at: 1_000, counted: counted(50, 2) })
    assert.deepStrictEqual(told.total, { users: 100, at: 1_000, examinedThen: 52 })
    const later = step(told, { _tag: "Counted", counted: counted(60, 2) })
    // 10 more in 2 s: 5 a second, 38 left.
    assert.strictEqual(Progress.at(later, 0, 3_000).etaSeconds, 7.6)
    // A cut: the summary says what the run counted, the writes cut as failed updates.
    const cut = step(later, { _tag: "Cut", writes: [write(7)] })
    const summary = RunView.cutSummary(cut, {
      dfoRequests: 1,
      dfoRetries: 0,
      dfoRateLimited: 0,
      logOnly: false,
      durationMs: 5,
      caller: "ops"
    })
    assert.strictEqual(summary.total, 63)
    assert.strictEqual(summary.unchanged, 60)
    assert.strictEqual(summary.updateFailed, 1)
    assert.deepStrictEqual(summary.skippedByReason, { DISABLED: 2 })
    assert.isTrue(countsAddUp(summary))
  })
})

describe("CutWrites", () => {
  const intent = (n: number): CutWrites.Note => ({ _tag: "Intent", write: write(n) })
  const done = (n: number, cut: boolean): CutWrites.Note => ({ _tag: "Done", write: write(n), cut })

  it("a write is open from its intent line to a done line, unless that says it was cut", () => {
    const notes = [intent(1), intent(2), intent(3), done(1, false), done(2, true)]
    const writes = notes.reduce(CutWrites.note, CutWrites.empty)
    assert.deepStrictEqual(CutWrites.unknown(writes), [write(2), write(3)])
  })

  it.prop("every write that ended is gone", [fc.array(fc.nat({ max: 20 }))], ([ids]) => {
    const notes = ids.flatMap((n) => [intent(n), done(n, false)])
    assert.deepStrictEqual(CutWrites.unknown(notes.reduce(CutWrites.note, CutWrites.empty)), [])
  })

  it("reads the audit lines' annotations, and only those", () => {
    const of = (fields: Record<string, unknown>) => CutWrites.noteOf((key) => fields[key])
    const subject = { audit: true, sap_id: "100001", idauto_id: "id-1" }
    assert.deepStrictEqual(of({ ...subject, audit_phase: "intent" }), {
      _tag: "Intent",
      write: write(1)
    })
    assert.deepStrictEqual(
      of({ ...subject, audit_phase: "done", result: "unknown", reason: "interrupted" }),
      { _tag: "Done", write: write(1), cut: true }
    )
    // A timeout's `unknown` ends in a FAILED result the run reports itself.
    assert.deepStrictEqual(
      of({ ...subject, audit_phase: "done", result: "unknown", reason: "no answer" }),
      { _tag: "Done", write: write(1), cut: false }
    )
    assert.isUndefined(of({ sap_id: "100001", audit_phase: "intent" }))
  })
})
