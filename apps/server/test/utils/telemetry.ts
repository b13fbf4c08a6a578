// The Prometheus reader (testkit) and a tiny OTLP/HTTP receiver, for asserting what the
// real server exposes and exports.
import { Prometheus } from "@dfo-writeback/testkit"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"

export type Sample = Prometheus.Sample
export const parsePrometheus = Prometheus.parse
export const total = Prometheus.total

/** A span as OTLP/JSON carries it. */
export interface OtlpSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly startTimeUnixNano: string | number
  readonly attributes?: ReadonlyArray<{
    readonly key: string
    readonly value: Readonly<Record<string, unknown>>
  }>
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: an OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string
  /** Every span received so far, with the `service.name` of its resource. */
  readonly spans: () => ReadonlyArray<OtlpSpan & { readonly service: string }>
  /** Request paths and content types received, for failure messages. */
  readonly requests: () => ReadonlyArray<string>
}

interface ExportRequest {
  readonly resourceSpans?: ReadonlyArray<{
    readonly resource?: { readonly attributes?: OtlpSpan["attributes"] }
    readonly scopeSpans?: ReadonlyArray<{ readonly spans?: ReadonlyArray<OtlpSpan> }>
  }>
}

/** An OTLP/HTTP collector on a free loopback port that decodes the JSON it is sent. */
export const otlpReceiver: Effect.Effect<OtlpReceiver, never, Scope.Scope> = Effect.acquireRelease(
  Effect.async<{ server: http.Server; receiver: OtlpReceiver }>((resume) => {
    const spans: Array<OtlpSpan & { service: string }> = []
    const requests: Array<string> = []
    const server = http.createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        requests.push(`${request.method} ${request.url} ${request.headers["content-type"]}`)
        if (
          request.url !== "/v1/traces" ||
          request.headers["content-type"] !== "application/json"
        ) {
          response.writeHead(415).end()
          return
        }
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ExportRequest
        for (const resourceSpans of body.resourceSpans ?? []) {
          const service = resourceSpans.resource?.attributes?.find((a) => a.key === "service.name")
            ?.value["stringValue"]
          for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
            for (const span of scopeSpans.spans ?? []) {
              spans.push({ ...span, service: String(service) })
            }
          }
        }
        response.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(
        Effect.succeed({
          server,
          receiver: {
            endpoint: `http://127.0.0.1:${port}`,
            spans: () => spans,
            requests: () => requests
          }
        })
      )
    })
  }),
  ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
).pipe(Effect.map(({ receiver }) => receiver))

/** GETs `url`, resolving with the status, content type and body. */
export const get = (
  url: string
): Effect.Effect<{ status: number; contentType: string; body: string }> =>
  Effect.promise(async () => {
    const response = await fetch(url)
    return {
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      body: await response.text()
    }
  })
