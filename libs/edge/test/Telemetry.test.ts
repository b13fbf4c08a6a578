import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option } from "effect"
import { Telemetry } from "../src/index.js"

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
