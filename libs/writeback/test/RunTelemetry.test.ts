// How `RunTelemetry.instrument` observes the program's runs, over a program that only
// replays events: the process tests (apps/server, apps/cli) show it over real runs.
import {
  emptyCounts,
  RunStarted,
  RunSummary,
  SingleUserRequest,
  UserNotFound
} from "@dfo-writeback/domain"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric, Stream } from "effect"
import { RunMetrics, RunTelemetry, Writeback } from "../src/index.js"

const replayed = [
  new RunStarted({ runId: "r", logOnly: false, readOnly: false, processAll: true }),
  new RunSummary({
    runId: "r",
    ...emptyCounts,
    skippedByReason: {},
    dfoRequests: 0,
    dfoRetries: 0,
    dfoRateLimited: 0,
    logOnly: false,
    aborted: false,
    abortReason: "",
    durationMs: 1,
    caller: ""
  })
] as const
const events = Stream.make(...replayed)

/**
 * The program itself is not under test here, only how `instrument` observes it: every run
 * replays `replayed`, and a single-user run named `missing` fails as a key nobody has.
 */
const program = Layer.succeed(
  Writeback.Service,
  Writeback.Service.of({
    run: () => events,
    apply: () => events,
    runSingle: (request, emit) =>
      request.keyValue === "missing"
        ? Effect.zipRight(
            emit(replayed[0]),
            new UserNotFound({ keyField: request.keyField, keyValue: request.keyValue })
          )
        : Effect.forEach(replayed, emit, { discard: true })
  })
)

const singleRuns = (result: RunMetrics.RunResult, code?: string) => {
  const byResult = Metric.tagged(Metric.tagged(RunMetrics.runs, "kind", "single"), "result", result)
  return Metric.value(code === undefined ? byResult : Metric.tagged(byResult, "code", code))
}

describe("RunTelemetry.instrument", () => {
  it.effect("a single-user run handed out event by event counts as a streamed one does", () =>
    Effect.gen(function* () {
      const figures = Effect.all([
        singleRuns("done"),
        singleRuns("failed", "NOT_FOUND"),
        singleRuns("cancelled")
      ])
      const before = yield* figures
      const request = (keyValue: string) =>
        new SingleUserRequest({ keyField: "username", keyValue, logOnly: false })
      const seen = yield* Effect.gen(function* () {
        const writeback = yield* Writeback.Service
        const tags: Array<string> = []
        yield* writeback.runSingle(request("fresh"), (event) =>
          Effect.sync(() => void tags.push(event._tag))
        )
        const notFound = yield* Effect.flip(
          writeback.runSingle(request("missing"), () => Effect.void)
        )
        // The caller's own failure (a stalled gRPC client) is the consumer leaving: cancelled.
        const stalled = yield* Effect.flip(
          writeback.runSingle(request("fresh"), () => Effect.fail("stalled" as const))
        )
        return { tags, notFound: notFound._tag, stalled }
      }).pipe(Effect.provide(RunTelemetry.instrument.pipe(Layer.provide(program))))
      const after = yield* figures
      assert.deepStrictEqual(seen, {
        tags: ["RunStarted", "RunSummary"],
        notFound: "UserNotFound",
        stalled: "stalled"
      })
      assert.deepStrictEqual(
        after.map((counter, i) => counter.count - (before[i]?.count ?? 0)),
        [1, 1, 1]
      )
    })
  )

  it.effect("an applied plan counts as kind apply and never moves the full-run figures", () =>
    Effect.gen(function* () {
      const applied = Metric.tagged(
        Metric.tagged(RunMetrics.runs, "kind", "apply"),
        "result",
        "done"
      )
      const figures = Effect.all([
        Metric.value(applied),
        Metric.value(RunMetrics.lastSuccessfulFullRun),
        Metric.value(RunMetrics.lastFullRunTimestamp)
      ])
      const [before, success, last] = yield* figures
      yield* Effect.flatMap(Writeback.Service, (writeback) =>
        Stream.runDrain(writeback.apply(undefined as never))
      ).pipe(Effect.provide(RunTelemetry.instrument.pipe(Layer.provide(program))))
      const [after, successAfter, lastAfter] = yield* figures
      assert.strictEqual(after.count - before.count, 1)
      assert.deepStrictEqual([successAfter, lastAfter], [success, last])
    })
  )
})
