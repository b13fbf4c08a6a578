// How a run's ending becomes `dfo_writeback_runs_total{kind,result,code}` and whether it
// moves the last-successful-full-run gauge. The stream transformer is applied to event
// streams built from the domain's own events; the process tests (apps/server, apps/cli)
// show the same series from real runs over slapd and the emulator.
import {
  AllUsersRequest,
  MassUpdateGuard,
  type RunError,
  RunStarted,
  RunSummary,
  SingleUserRequest,
  UserResult,
  type WritebackEvent,
  type WritebackRequest
} from "@dfo-writeback/domain"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Metric, Stream } from "effect"
import { RunMetrics } from "../src/index.js"

const started = (readOnly = false) =>
  new RunStarted({ runId: "r", logOnly: false, readOnly, processAll: true })

const user = (outcome: UserResult["outcome"], extra: Partial<UserResult> = {}) =>
  new UserResult({
    idautoId: "i",
    username: "u",
    uhUsername: "",
    sapId: "1",
    outcome,
    changes: [],
    keptFields: [],
    message: "",
    ...extra
  })

const summary = (aborted = false) =>
  new RunSummary({
    runId: "r",
    total: 2,
    skipped: 1,
    unchanged: 0,
    updated: 1,
    wouldUpdate: 0,
    updateFailed: 0,
    fetchFailed: 0,
    skippedByReason: { NOT_IN_SAP: 1 },
    dfoRequests: 3,
    dfoRetries: 0,
    dfoRateLimited: 0,
    logOnly: false,
    aborted,
    abortReason: aborted ? "interrupted" : "",
    durationMs: 5,
    caller: ""
  })

const guard = new MassUpdateGuard({ planned: 5, limit: 1, configuredLimit: 1, requestLimit: 0 })

const all = (logOnly = false) => new AllUsersRequest({ logOnly, maxUpdates: 0 })
const single = new SingleUserRequest({ keyField: "username", keyValue: "u", logOnly: false })

const runs = (tags: Readonly<Record<string, string>>) =>
  Metric.value(
    Object.entries(tags).reduce(
      (metric, [key, value]) => Metric.tagged(metric, key, value),
      RunMetrics.runs
    )
  ).pipe(Effect.map((state) => state.count))

const lastSuccess = Metric.value(RunMetrics.lastSuccessfulFullRun).pipe(
  Effect.map((state) => state.value)
)

/** Runs `events` through `track` and returns how the run counters and gauge moved. */
const measure = (
  request: WritebackRequest,
  events: Stream.Stream<WritebackEvent, RunError>,
  tags: Readonly<Record<string, string>>
) =>
  Effect.gen(function* () {
    const before = { runs: yield* runs(tags), last: yield* lastSuccess }
    const exit = yield* Effect.exit(Stream.runDrain(events.pipe(RunMetrics.track(request))))
    return {
      exit,
      runs: (yield* runs(tags)) - before.runs,
      lastMoved: (yield* lastSuccess) !== before.last
    }
  })

describe("RunMetrics.track", () => {
  it.effect("a completed full run: done, and the last-successful-run gauge moves to now", () =>
    Effect.gen(function* () {
      const events = Stream.make(
        started(),
        user("UPDATED"),
        user("SKIPPED", { skipReason: "NOT_IN_SAP" }),
        summary()
      )
      const result = yield* measure(all(), events, { kind: "all", result: "done" })
      assert.isTrue(Exit.isSuccess(result.exit))
      assert.strictEqual(result.runs, 1)
      assert.isTrue(result.lastMoved)
      assert.closeTo(yield* lastSuccess, Date.now() / 1000, 5)
    })
  )

  it.effect("users by outcome and reason; a FAILED user makes the run user_failed", () =>
    Effect.gen(function* () {
      const skipped = Metric.tagged(
        Metric.tagged(RunMetrics.users, "outcome", "SKIPPED"),
        "reason",
        "DISABLED"
      )
      const failed = Metric.tagged(
        Metric.tagged(RunMetrics.users, "outcome", "FAILED"),
        "reason",
        "SAP_UPDATE_FAILED"
      )
      const before = [(yield* Metric.value(skipped)).count, (yield* Metric.value(failed)).count]
      const events = Stream.make(
        started(),
        user("SKIPPED", { skipReason: "DISABLED" }),
        user("SKIPPED", { skipReason: "DISABLED" }),
        user("FAILED", { errorCode: "SAP_UPDATE_FAILED" }),
        summary()
      )
      const result = yield* measure(all(), events, { kind: "all", result: "user_failed" })
      assert.strictEqual(result.runs, 1)
      assert.isTrue(result.lastMoved, "a done run with a failed user still ran")
      assert.deepStrictEqual(
        [
          (yield* Metric.value(skipped)).count - (before[0] ?? 0),
          (yield* Metric.value(failed)).count - (before[1] ?? 0)
        ],
        [2, 1]
      )
    })
  )

  it.effect("an aborted full run is aborted and leaves the gauge alone", () =>
    Effect.gen(function* () {
      const events = Stream.make(
        started(),
        user("FAILED", { errorCode: "SAP_FETCH_FAILED" }),
        summary(true)
      )
      const result = yield* measure(all(), events, { kind: "all", result: "aborted" })
      assert.strictEqual(result.runs, 1)
      assert.isFalse(result.lastMoved)
    })
  )

  it.effect("dry runs and SAP_READ_ONLY runs never count as a successful writeback", () =>
    Effect.gen(function* () {
      const dry = yield* measure(all(true), Stream.make(started(), summary()), {
        kind: "all",
        result: "done"
      })
      assert.strictEqual(dry.runs, 1)
      assert.isFalse(dry.lastMoved)
      const readOnly = yield* measure(all(), Stream.make(started(true), summary()), {
        kind: "all",
        result: "done"
      })
      assert.strictEqual(readOnly.runs, 1)
      assert.isFalse(readOnly.lastMoved)
    })
  )

  it.effect("a run-level error is failed with its code; a single run never moves the gauge", () =>
    Effect.gen(function* () {
      const failed = yield* measure(
        all(),
        Stream.concat(Stream.make(started()), Stream.fail(guard)),
        {
          kind: "all",
          result: "failed",
          code: "MASS_UPDATE_GUARD"
        }
      )
      assert.isTrue(Exit.isFailure(failed.exit))
      assert.strictEqual(failed.runs, 1)
      assert.isFalse(failed.lastMoved)
      const one = yield* measure(single, Stream.make(started(), user("UPDATED"), summary()), {
        kind: "single",
        result: "done"
      })
      assert.strictEqual(one.runs, 1)
      assert.isFalse(one.lastMoved)
    })
  )

  it.effect("a run interrupted before its summary is cancelled", () =>
    Effect.gen(function* () {
      const before = yield* runs({ kind: "all", result: "cancelled" })
      const running = yield* Deferred.make<void>()
      const fiber = yield* Stream.make(started()).pipe(
        Stream.concat(Stream.never),
        RunMetrics.track(all()),
        Stream.tap(() => Deferred.succeed(running, undefined)),
        Stream.runDrain,
        Effect.fork
      )
      yield* Deferred.await(running)
      yield* Fiber.interrupt(fiber)
      assert.strictEqual((yield* runs({ kind: "all", result: "cancelled" })) - before, 1)
    })
  )
})

const gauge = (metric: Metric.Metric.Gauge<number>, key: string, value: string) =>
  Metric.value(Metric.tagged(metric, key, value)).pipe(Effect.map((state) => state.value))

/** The last full run's result and abort reason gauges, as `{label: value}`. */
const lastFullRun = Effect.gen(function* () {
  const results: Record<string, number> = {}
  for (const result of RunMetrics.runResults) {
    results[result] = yield* gauge(RunMetrics.lastFullRunResult, "result", result)
  }
  const reasons: Record<string, number> = {}
  for (const reason of RunMetrics.abortReasons) {
    reasons[reason] = yield* gauge(RunMetrics.lastFullRunAbortReason, "reason", reason)
  }
  const timestamp = (yield* Metric.value(RunMetrics.lastFullRunTimestamp)).value
  return { results, reasons, timestamp }
})

const refusedSummary = () =>
  new RunSummary({
    ...summary(true),
    abortReason:
      "DFØ refused a read (1) with HTTP 401: the gateway refused the API key: check SAP_API_KEY; no further users are started"
  })

describe("RunMetrics: figures an alert can read (issue #20)", () => {
  it.effect("zeros: every run, abort and user series an alert reads exists at 0", () =>
    Effect.gen(function* () {
      yield* RunMetrics.zeros
      const snapshot = yield* Metric.snapshot
      const series = (name: string, tags: Readonly<Record<string, string>>) =>
        snapshot.filter(
          ({ metricKey }) =>
            metricKey.name === name &&
            Object.entries(tags).every(([key, value]) =>
              metricKey.tags.some((tag) => tag.key === key && tag.value === value)
            )
        )
      for (const kind of ["all", "single", "apply"]) {
        for (const result of ["failed", "aborted", "done", "user_failed", "cancelled"]) {
          assert.isAtLeast(series("dfo_writeback_runs", { kind, result }).length, 1, result)
        }
        for (const code of ["LDAP_CONNECTION_FAILED", "MASS_UPDATE_GUARD"]) {
          assert.strictEqual(
            series("dfo_writeback_runs", { kind, result: "failed", code }).length,
            1,
            code
          )
        }
        assert.strictEqual(
          series("dfo_writeback_run_aborts", { kind, reason: "key_refused" }).length,
          1
        )
      }
      for (const reason of ["SAP_FETCH_FAILED", "SAP_UPDATE_FAILED"]) {
        assert.strictEqual(
          series("dfo_writeback_users", { outcome: "FAILED", reason }).length,
          1,
          reason
        )
      }
      assert.strictEqual(
        series("dfo_writeback_last_full_run_result", { result: "failed" }).length,
        1
      )
    })
  )

  it.effect("a failed full run sets the last full run's result to failed and nothing else", () =>
    Effect.gen(function* () {
      const before = Date.now() / 1000
      yield* measure(all(), Stream.concat(Stream.make(started()), Stream.fail(guard)), {
        kind: "all",
        result: "failed",
        code: "MASS_UPDATE_GUARD"
      })
      const last = yield* lastFullRun
      assert.deepStrictEqual(last.results, {
        done: 0,
        user_failed: 0,
        aborted: 0,
        failed: 1,
        cancelled: 0
      })
      assert.isAtLeast(last.timestamp, Math.floor(before))
    })
  )

  it.effect("a refused key: aborted, abort reason key_refused, counted by reason", () =>
    Effect.gen(function* () {
      const counter = Metric.tagged(
        Metric.tagged(RunMetrics.aborts, "kind", "all"),
        "reason",
        "key_refused"
      )
      const before = (yield* Metric.value(counter)).count
      yield* measure(
        all(),
        Stream.make(started(), user("FAILED", { errorCode: "SAP_FETCH_FAILED" }), refusedSummary()),
        { kind: "all", result: "aborted" }
      )
      assert.strictEqual((yield* Metric.value(counter)).count - before, 1)
      const last = yield* lastFullRun
      assert.strictEqual(last.results["aborted"], 1)
      assert.deepStrictEqual(last.reasons, {
        key_refused: 1,
        dfo_unreachable: 0,
        consecutive_failures: 0,
        interrupted: 0,
        lease_lost: 0,
        other: 0
      })
      assert.strictEqual(yield* gauge(RunMetrics.lastFullRunUsers, "outcome", "FAILED"), 1)
    })
  )

  it.effect("an applied plan and a single-user run never move the full-run figures", () =>
    Effect.gen(function* () {
      // A failed night first: what the figures must keep showing.
      yield* measure(all(), Stream.make(started(), refusedSummary()), {
        kind: "all",
        result: "aborted"
      })
      const night = yield* lastFullRun
      const applied = yield* Stream.make(started(), user("UPDATED"), summary()).pipe(
        RunMetrics.track(all(), "apply"),
        Stream.runDrain,
        Effect.zipRight(lastSuccess)
      )
      const one = yield* measure(single, Stream.make(started(), user("UPDATED"), summary()), {
        kind: "single",
        result: "done"
      })
      assert.strictEqual(one.runs, 1)
      assert.deepStrictEqual(yield* lastFullRun, night)
      assert.isFalse(one.lastMoved)
      assert.strictEqual(yield* lastSuccess, applied)
      assert.strictEqual(yield* runs({ kind: "apply", result: "done" }), 1)
    })
  )

  it.effect("a dry full run leaves the last full run's figures alone", () =>
    Effect.gen(function* () {
      const before = yield* lastFullRun
      yield* measure(all(true), Stream.make(started(), user("FAILED"), summary(true)), {
        kind: "all",
        result: "aborted"
      })
      assert.deepStrictEqual(yield* lastFullRun, before)
    })
  )

  it("abort reasons name a kind of cause, never the text", () => {
    assert.strictEqual(RunMetrics.abortReasonOf(refusedSummary().abortReason), "key_refused")
    assert.strictEqual(
      RunMetrics.abortReasonOf(
        "stopped after 25 consecutive DFØ failures (SAP_ABORT_AFTER_CONSECUTIVE_FAILURES=25)"
      ),
      "consecutive_failures"
    )
    assert.strictEqual(
      RunMetrics.abortReasonOf(
        "DFØ unreachable: GET https://gw.example.no/dfo/ansatte/v2 (the list of all employees) failed"
      ),
      "dfo_unreachable"
    )
    assert.strictEqual(RunMetrics.abortReasonOf("interrupted"), "interrupted")
    assert.strictEqual(
      RunMetrics.abortReasonOf("LEASE_LOST: k8s:iam/dfo-writeback is now held by replica-b"),
      "lease_lost"
    )
    assert.strictEqual(RunMetrics.abortReasonOf("olanor@uni.no"), "other")
  })
})
