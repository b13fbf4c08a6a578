import {
  AllUsersRequest,
  type RunError,
  type WritebackEvent,
  type WritebackRequest
} from "@dfo-writeback/domain"
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import * as OtelResource from "@effect/opentelemetry/Resource"
import * as OtelTracer from "@effect/opentelemetry/Tracer"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto"
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanProcessor
} from "@opentelemetry/sdk-trace-base"
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node"
import { Writeback } from "@dfo-writeback/writeback"
import { Chunk, Config, Context, Duration, Effect, Layer, Logger, Option, Stream } from "effect"
import * as RunMetrics from "./RunMetrics.js"

/**
 * Metrics and traces of the writeback (issue #12). Effect's `Metric` measures; the
 * OpenTelemetry SDK, through `@effect/opentelemetry`, reads those metrics for the
 * Prometheus text format and exports spans over OTLP/HTTP when asked to.
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
  endpoint: httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT"),
  tracesEndpoint: httpUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
  protocol: protocol("OTEL_EXPORTER_OTLP_PROTOCOL"),
  tracesProtocol: protocol("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"),
  disabled: Config.boolean("OTEL_SDK_DISABLED").pipe(Config.withDefault(false)),
  serviceName: Config.string("OTEL_SERVICE_NAME").pipe(Config.withDefault("dfo-writeback"))
}).pipe(
  Config.map(({ disabled, endpoint, protocol, serviceName, tracesEndpoint, tracesProtocol }) => ({
    serviceName,
    protocol: Option.getOrElse(
      Option.orElse(tracesProtocol, () => protocol),
      () => "http/protobuf" as const
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

/**
 * Spans batched to OTLP/HTTP at `url`, without values. Not NodeSdk's own provider: its shutdown waits
 * silently for up to 3 s, and the exporter's retries then held a CLI run's exit for 10 s.
 */
const tracing = (url: string, protocol: Protocol) =>
  OtelTracer.layer.pipe(
    Layer.provide(
      Layer.scoped(
        OtelTracer.OtelTracerProvider,
        Effect.flatMap(OtelResource.Resource, (resource) =>
          Effect.acquireRelease(
            Effect.sync(
              () =>
                new NodeTracerProvider({
                  resource,
                  spanProcessors: [
                    redacting(
                      new BatchSpanProcessor(
                        protocol === "http/json"
                          ? new JsonExporter({ url })
                          : new ProtobufExporter({ url })
                      )
                    )
                  ]
                })
            ),
            (provider) => shutdownWithin(provider, url)
          )
        )
      )
    )
  )

/**
 * Exports spans when `tracesUrl` is set (batched; the rest are flushed when the layer
 * closes, within `flushTimeout`) and serves every Effect metric of the process as
 * Prometheus text, every run and user series present from the start at 0.
 */
export const layer = (options: Options): Layer.Layer<PrometheusMetrics> =>
  Layer.unwrapEffect(
    Effect.sync(() => {
      // A reader without its own HTTP server: the apps decide where the text goes.
      const reader = new PrometheusExporter({
        preventServerStart: true,
        withoutScopeInfo: true,
        withoutTargetInfo: true
      })
      const serializer = new PrometheusSerializer(undefined, false, undefined, true, true)
      const sdk = NodeSdk.layer(() => ({
        resource: { serviceName: options.serviceName },
        metricReader: reader
      }))
      const traces = Option.match(options.tracesUrl, {
        onNone: () => Layer.empty,
        onSome: (url) => tracing(url, options.protocol)
      })
      const render = Effect.promise(() => reader.collect()).pipe(
        Effect.map(({ resourceMetrics }) => serializer.serialize(resourceMetrics))
      )
      return Layer.mergeAll(
        Layer.succeed(PrometheusMetrics, { render }),
        Layer.discard(traces.pipe(Layer.provideMerge(sdk))),
        // Log lines never become span events: audit lines carry e-mail addresses, before and
        // after (issue #19 point 12). Spans carry ids, outcomes and field names only.
        Logger.remove(Logger.tracerLogger),
        Layer.effectDiscard(RunMetrics.zeros)
      )
    })
  )

/** From the `OTEL_*` settings. */
export const layerConfig = Layer.unwrapEffect(Effect.map(config, layer))

/**
 * A run as the edge sees it: a `Writeback.run` span around the whole stream (the run's
 * log lines carry its `trace_id`) and the run metrics of `RunMetrics.track`.
 */
export const observe =
  (request: WritebackRequest, kind: RunMetrics.RunKind = RunMetrics.kindOf(request)) =>
  <R>(
    events: Stream.Stream<WritebackEvent, RunError, R>
  ): Stream.Stream<WritebackEvent, RunError, R> =>
    events.pipe(
      // Per chunk, not per event: a full run streams tens of thousands of results.
      Stream.mapChunksEffect((chunk) => {
        const started = Chunk.findFirst(chunk, (event) => event._tag === "RunStarted")
        return Option.isSome(started) && started.value._tag === "RunStarted"
          ? Effect.as(Effect.annotateCurrentSpan("run_id", started.value.runId), chunk)
          : Effect.succeed(chunk)
      }),
      RunMetrics.track(request, kind),
      Stream.withSpan("Writeback.run", {
        attributes: {
          process_all: request._tag === "AllUsers",
          log_only: request.logOnly
        }
      })
    )

/**
 * The writeback program with every run observed (`observe`): provide it over
 * `Writeback.layer` in the apps.
 */
export const instrument: Layer.Layer<Writeback.Service, never, Writeback.Service> = Layer.effect(
  Writeback.Service,
  Effect.map(Writeback.Service, (inner) =>
    Writeback.Service.of({
      run: (request, options) => inner.run(request, options).pipe(observe(request)),
      // Applying a plan writes, but a few reviewed users are no full run: kind `apply`
      // never moves the full-run figures, so it cannot hide a failed night.
      apply: (plan, options) =>
        inner
          .apply(plan, options)
          .pipe(observe(new AllUsersRequest({ logOnly: false, maxUpdates: 0 }), "apply"))
    })
  )
)
