import type { ReadableSpan, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { NodeTracerProvider } from "@opentelemetry/sdk-trace-node"
import { Config, Context, Duration, Effect, Layer, Logger, Option } from "effect"
import { settings } from "./EdgeSettings.js"

/**
 * Metrics and traces of the writeback (issue #12). Effect's `Metric` measures; the
 * OpenTelemetry SDK, through `@effect/opentelemetry`, reads those metrics for the
 * Prometheus text format and exports spans over OTLP/HTTP when asked to. The SDK's modules
 * are imported only by the layer that needs them: a process without a collector or a
 * metrics endpoint never loads them (the CLI's start-up: 136 → 130 MB VmHWM, 36 → 33 MB
 * live heap).
 */

/** The settings; the standard `OTEL_*` variables not named here reach the OTLP exporter as usual. */
export interface Options {
  /** Where spans go over OTLP/HTTP; `None` keeps them in the process. */
  readonly tracesUrl: Option.Option<string>
  /** The OTLP/HTTP encoding (default `http/protobuf`, as the specification says). */
  readonly protocol: Protocol
  /** `service.name` of every span (OTEL_SERVICE_NAME, default `dfo-writeback`). */
  readonly serviceName: string
}

const isHttpUrl = (text: string) => {
  try {
    const url = new URL(text)
    return url.protocol === "http:" || url.protocol === "https:"
  } catch {
    return false
  }
}

const httpUrl = (name: string) =>
  Config.option(
    Config.string(name).pipe(
      Config.validate({ message: `${name} must be an http(s) URL`, validation: isHttpUrl })
    )
  )

export type Protocol = "http/protobuf" | "http/json"

const isProtocol = (value: string): value is Protocol =>
  value === "http/protobuf" || value === "http/json"

const protocol = (name: string) =>
  Config.option(
    Config.string(name).pipe(
      Config.validate({
        message: `${name} must be http/protobuf or http/json (OTLP over gRPC is not supported; use the collector's HTTP port, 4318)`,
        validation: isProtocol
      })
    )
  )

/**
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (the collector's base URL; spans go to `/v1/traces` under
 * it) or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the full URL, which wins), and the
 * `*_PROTOCOL` pair, as the OpenTelemetry specification defines them;
 * `OTEL_SDK_DISABLED=true` turns export off.
 */
export const config: Config.Config<Options> = Config.all({
  endpoint: httpUrl(settings.otlpEndpoint.name),
  tracesEndpoint: httpUrl(settings.otlpTracesEndpoint.name),
  protocol: protocol(settings.otlpProtocol.name),
  tracesProtocol: protocol(settings.otlpTracesProtocol.name),
  disabled: Config.boolean(settings.sdkDisabled.name).pipe(
    Config.withDefault(settings.sdkDisabled.default)
  ),
  serviceName: Config.string(settings.serviceName.name).pipe(
    Config.withDefault(settings.serviceName.default)
  )
}).pipe(
  Config.map(({ disabled, endpoint, protocol, serviceName, tracesEndpoint, tracesProtocol }) => ({
    serviceName,
    protocol: Option.getOrElse(
      Option.orElse(tracesProtocol, () => protocol),
      () => settings.otlpProtocol.default
    ),
    tracesUrl: disabled
      ? Option.none()
      : Option.orElse(tracesEndpoint, () =>
          Option.map(endpoint, (base) => `${base.replace(/\/+$/, "")}/v1/traces`)
        )
  }))
)

/** The process's metrics in the Prometheus text format (version 0.0.4). */
export interface PrometheusMetricsService {
  readonly render: Effect.Effect<string>
}

export class PrometheusMetrics extends Context.Tag("@dfo-writeback/writeback/PrometheusMetrics")<
  PrometheusMetrics,
  PrometheusMetricsService
>() {}

/** The content type of `render`'s text. */
export const prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

/**
 * How long spans still batched at exit may take to reach the collector. A collector that
 * is down must not hold a run's exit (issue #20): past this, they are dropped with one
 * warning line.
 */
export const flushTimeout = Duration.seconds(1)

/** The collector's origin: no path, query or credentials in a log line. */
const originOf = (url: string) => {
  try {
    return new URL(url).origin
  } catch {
    return "(invalid URL)"
  }
}

/** Flushes and shuts the provider down within `flushTimeout`; one warning line otherwise. */
const shutdownWithin = (provider: NodeTracerProvider, url: string) =>
  Effect.tryPromise(() => provider.forceFlush().then(() => provider.shutdown())).pipe(
    Effect.interruptible,
    Effect.timeoutOption(flushTimeout),
    Effect.either,
    Effect.flatMap((result) => {
      const problem =
        result._tag === "Left"
          ? "failed"
          : Option.isNone(result.right)
            ? `did not finish within ${Duration.format(flushTimeout)}`
            : undefined
      return problem === undefined
        ? Effect.void
        : Effect.logWarning(`trace export ${problem}: spans not yet sent are dropped`).pipe(
            Effect.annotateLogs("collector", originOf(url))
          )
    })
  )

/**
 * A span as it may leave the process: a failure keeps its status code and the error's type,
 * not its message or stack, which may quote DFØ's faultText or an LDAP value (issue #19
 * point 12). The rest is read through the original span.
 */
const withoutValues = (span: ReadableSpan): ReadableSpan =>
  Object.assign(Object.create(span) as ReadableSpan, {
    status: { code: span.status.code },
    events: span.events.map((event) =>
      event.name === "exception"
        ? {
            ...event,
            attributes: { "exception.type": event.attributes?.["exception.type"] ?? "" }
          }
        : event
    )
  })

/** Passes every ended span on `withoutValues`. */
const redacting = (inner: SpanProcessor): SpanProcessor => ({
  onStart: (span, context) => inner.onStart(span, context),
  onEnd: (span) => inner.onEnd(withoutValues(span)),
  forceFlush: () => inner.forceFlush(),
  shutdown: () => inner.shutdown()
})

/** The OTLP/HTTP span exporter of `protocol`, the other encoding never loaded. */
const exporter = async (protocol: Protocol, url: string): Promise<SpanExporter> =>
  protocol === "http/json"
    ? new (await import("@opentelemetry/exporter-trace-otlp-http")).OTLPTraceExporter({ url })
    : new (await import("@opentelemetry/exporter-trace-otlp-proto")).OTLPTraceExporter({ url })

/**
 * Spans batched to OTLP/HTTP at `url`, without values. Not NodeSdk's own provider: its shutdown waits
 * silently for up to 3 s, and the exporter's retries then held a CLI run's exit for 10 s.
 */
const tracing = (options: Options, url: string) =>
  Layer.unwrapEffect(
    Effect.promise(async () => {
      const [OtelResource, OtelTracer, { BatchSpanProcessor }, { NodeTracerProvider }, spans] =
        await Promise.all([
          import("@effect/opentelemetry/Resource"),
          import("@effect/opentelemetry/Tracer"),
          import("@opentelemetry/sdk-trace-base"),
          import("@opentelemetry/sdk-trace-node"),
          exporter(options.protocol, url)
        ])
      const provider = Layer.scoped(
        OtelTracer.OtelTracerProvider,
        Effect.flatMap(OtelResource.Resource, (resource) =>
          Effect.acquireRelease(
            Effect.sync(
              () =>
                new NodeTracerProvider({
                  resource,
                  spanProcessors: [redacting(new BatchSpanProcessor(spans))]
                })
            ),
            (provider) => shutdownWithin(provider, url)
          )
        )
      )
      return OtelTracer.layer.pipe(
        Layer.provide(provider),
        Layer.provide(
          OtelResource.layerFromEnv(
            OtelResource.configToAttributes({ serviceName: options.serviceName })
          )
        )
      )
    })
  )

/**
 * Exports spans when `tracesUrl` is set (batched; the rest are flushed when the layer
 * closes, within `flushTimeout`); log lines never become span events.
 */
export const layer = (options: Options): Layer.Layer<never> =>
  Layer.mergeAll(
    Option.match(options.tracesUrl, {
      onNone: () => Layer.empty,
      onSome: (url) => tracing(options, url)
    }),
    // Log lines never become span events: audit lines carry e-mail addresses, before and
    // after (issue #19 point 12). Spans carry ids, outcomes and field names only.
    Logger.remove(Logger.tracerLogger)
  )

/** From the `OTEL_*` settings. */
export const layerConfig = Layer.unwrapEffect(Effect.map(config, layer))

/**
 * Every Effect metric of the process as Prometheus text: for the apps that serve or write
 * it (`METRICS_LISTEN`, `--metrics-file`), and only for them.
 */
export const prometheus: Layer.Layer<PrometheusMetrics> = Layer.unwrapEffect(
  Effect.promise(async () => {
    const [OtelMetrics, OtelResource, { PrometheusExporter, PrometheusSerializer }] =
      await Promise.all([
        import("@effect/opentelemetry/Metrics"),
        import("@effect/opentelemetry/Resource"),
        import("@opentelemetry/exporter-prometheus")
      ])
    // A reader without its own HTTP server: the apps decide where the text goes.
    const reader = new PrometheusExporter({
      preventServerStart: true,
      withoutScopeInfo: true,
      withoutTargetInfo: true
    })
    const serializer = new PrometheusSerializer(undefined, false, undefined, true, true)
    const render = Effect.promise(() => reader.collect()).pipe(
      Effect.map(({ resourceMetrics }) => serializer.serialize(resourceMetrics))
    )
    return Layer.merge(
      Layer.succeed(PrometheusMetrics, { render }),
      // No resource: the text leaves out target_info (`withoutTargetInfo`).
      OtelMetrics.layer(() => reader).pipe(Layer.provide(OtelResource.layerEmpty))
    )
  })
)
