// How `RunTelemetry.instrument` observes the program's runs, over a program that only
// replays events: the process tests (apps/server, apps/cli) show it over real runs.
import { emptyCounts, RunStarted, RunSummary } from "@dfo-writeback/domain"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric, Stream } from "effect"
import { RunMetrics, RunTelemetry, Writeback } from "../src/index.js"

describe("RunTelemetry.instrument", () => {
  it.effect("an applied plan counts as kind apply and never moves the full-run figures", () =>
    Effect.gen(function* () {
      const events = Stream.make(
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
      )
      // The program itself is not under test here: only how `instrument` observes it.
      const program = Layer.succeed(
        Writeback.Service,
        Writeback.Service.of({ run: () => events, apply: () => events })
      )
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
