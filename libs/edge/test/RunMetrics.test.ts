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
      const guard = new MassUpdateGuard({
        planned: 5,
        limit: 1,
        configuredLimit: 1,
        requestLimit: 0
      })
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
