import { emptyCounts, RunStarted, RunSummary } from "@dfo-writeback/domain"
import { Writeback } from "@dfo-writeback/writeback"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Layer, Metric, Option, Stream } from "effect"
import { RunMetrics, Telemetry } from "../src/index.js"

const read = (env: Record<string, string>) =>
  Effect.either(
    Effect.withConfigProvider(
      Telemetry.config,
      ConfigProvider.fromMap(new Map(Object.entries(env)))
    )
  )

describe("Telemetry.config (the standard OTEL_* variables)", () => {
  it.effect("off without an endpoint; service dfo-writeback; http/protobuf by default", () =>
    Effect.gen(function* () {
      const options = Either.getOrThrow(yield* read({}))
      assert.isTrue(Option.isNone(options.tracesUrl))
      assert.strictEqual(options.serviceName, "dfo-writeback")
      assert.strictEqual(options.protocol, "http/protobuf")
    })
  )

  it.effect("OTEL_EXPORTER_OTLP_ENDPOINT is a base: spans go to /v1/traces under it", () =>
    Effect.gen(function* () {
      const options = Either.getOrThrow(
        yield* read({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" })
      )
      assert.deepStrictEqual(options.tracesUrl, Option.some("http://collector:4318/v1/traces"))
    })
  )

  it.effect("the signal-specific variables win over the general ones", () =>
    Effect.gen(function* () {
      const options = Either.getOrThrow(
        yield* read({
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example.no/otlp",
          OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
          OTEL_SERVICE_NAME: "writeback-prod"
        })
      )
      assert.deepStrictEqual(options.tracesUrl, Option.some("https://traces.example.no/otlp"))
      assert.strictEqual(options.protocol, "http/json")
      assert.strictEqual(options.serviceName, "writeback-prod")
    })
  )

  it.effect("OTEL_SDK_DISABLED=true turns export off", () =>
    Effect.gen(function* () {
      const options = Either.getOrThrow(
        yield* read({
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
          OTEL_SDK_DISABLED: "true"
        })
      )
      assert.isTrue(Option.isNone(options.tracesUrl))
    })
  )

  it.effect("gRPC and malformed endpoints are refused, naming the variable", () =>
    Effect.gen(function* () {
      const grpc = yield* read({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4317",
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc"
      })
      assert.isTrue(Either.isLeft(grpc))
      if (Either.isLeft(grpc)) assert.include(String(grpc.left), "OTEL_EXPORTER_OTLP_PROTOCOL")
      const url = yield* read({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })
      assert.isTrue(Either.isLeft(url))
      if (Either.isLeft(url)) assert.include(String(url.left), "OTEL_EXPORTER_OTLP_ENDPOINT")
    })
  )
})

describe("Telemetry.instrument", () => {
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
      ).pipe(Effect.provide(Telemetry.instrument.pipe(Layer.provide(program))))
      const [after, successAfter, lastAfter] = yield* figures
      assert.strictEqual(after.count - before.count, 1)
      assert.deepStrictEqual([successAfter, lastAfter], [success, last])
    })
  )
})
