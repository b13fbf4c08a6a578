/**
 * `/metrics` for Prometheus on `METRICS_LISTEN` (issue #12), off unless that is set: a
 * plain HTTP listener of its own, so a scraper needs neither the gRPC port nor a token.
 * Bound when the layer is built (a taken port stops start-up), closed with its scope.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { ServerSettings } from "@dfo-writeback/contract"
import { Telemetry } from "@dfo-writeback/edge"
import { Config, Effect, Layer, Option, Runtime, Schema } from "effect"

/** Where to serve; `None` serves nothing. */
export interface MetricsSettings {
  readonly listen: Option.Option<{ readonly host: string; readonly port: number }>
}

const listenPattern = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]*):(\d{1,5})$/

const parseListen = (value: string) => {
  const match = listenPattern.exec(value.trim())
  if (match === null) return undefined
  const port = Number(match[2])
  if (port > 65535) return undefined
  // `:9464` listens on every interface, as GRPC_LISTEN's form does.
  const host = (match[1] ?? "").replace(/^\[(.*)\]$/, "$1")
  return { host: host === "" ? "::" : host, port }
}

/** `METRICS_LISTEN=host:port` (`127.0.0.1:9464`, `[::]:9464`, `:9464`). */
export const config: Config.Config<MetricsSettings> = Config.all({
  listen: Config.option(
    Config.string(ServerSettings.settings.metricsListen.name).pipe(
      Config.validate({
        message:
          "METRICS_LISTEN must be host:port (port 0–65535), e.g. 127.0.0.1:9464, [::]:9464 or :9464",
        validation: (value) => parseListen(value) !== undefined
      }),
      Config.map((value) => parseListen(value) ?? { host: "", port: 0 })
    )
  )
})

/** The metrics listener could not start. */
export class MetricsServerError extends Schema.TaggedError<MetricsServerError>()(
  "MetricsServerError",
  { address: Schema.String, reason: Schema.String }
) {
  override get message() {
    return `cannot serve metrics on ${this.address} (METRICS_LISTEN): ${this.reason}`
  }
}

const formatAddress = (host: string, port: number) =>
  `${host.includes(":") ? `[${host}]` : host}:${port}`

/** `GET /metrics` answers the text; any other path 404, any other method 405. */
const handler =
  (render: (onText: (text: string | undefined) => void) => void) =>
  (request: http.IncomingMessage, response: http.ServerResponse) => {
    const path = (request.url ?? "").split("?")[0]
    if (path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics\n")
      return
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end()
      return
    }
    render((text) => {
      if (text === undefined) {
        response.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable\n")
        return
      }
      response.writeHead(200, { "content-type": Telemetry.prometheusContentType })
      response.end(request.method === "HEAD" ? undefined : text)
    })
  }

/** Serves `/metrics` while the scope lasts, when `METRICS_LISTEN` is set. */
export const layer = (settings: MetricsSettings): Layer.Layer<never, MetricsServerError> =>
  Option.match(settings.listen, {
    onNone: () => Layer.empty,
    onSome: ({ host, port }) =>
      Layer.scopedDiscard(
        Effect.gen(function* () {
          const metrics = yield* Telemetry.PrometheusMetrics
          const runFork = Runtime.runFork(yield* Effect.runtime<never>())
          const server = http.createServer(
            handler((onText) => {
              runFork(
                metrics.render.pipe(
                  Effect.matchCauseEffect({
                    onSuccess: (text) => Effect.sync(() => onText(text)),
                    // Not expected (the reader outlives this listener): answer rather than hang.
                    onFailure: (cause) =>
                      Effect.logWarning("cannot render metrics", cause).pipe(
                        Effect.zipRight(Effect.sync(() => onText(undefined)))
                      )
                  })
                )
              )
            })
          )
          const bound = yield* Effect.acquireRelease(
            Effect.async<AddressInfo, MetricsServerError>((resume) => {
              const failed = (error: Error) =>
                resume(
                  Effect.fail(
                    new MetricsServerError({
                      address: formatAddress(host, port),
                      reason: error.message
                    })
                  )
                )
              server.once("error", failed)
              server.listen(port, host, () => {
                server.removeListener("error", failed)
                resume(Effect.succeed(server.address() as AddressInfo))
              })
            }),
            () =>
              Effect.async<void>((resume) => {
                server.close(() => resume(Effect.void))
                server.closeAllConnections()
              })
          )
          yield* Effect.logInfo("metrics listening").pipe(
            Effect.annotateLogs({
              address: formatAddress(bound.address, bound.port),
              path: "/metrics"
            })
          )
        })
        // The exporter is loaded only here, when /metrics is served.
      ).pipe(Layer.provide(Telemetry.prometheus))
  })
