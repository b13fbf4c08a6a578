// The Prometheus reader (testkit) and a tiny OTLP/HTTP protobuf receiver, for asserting what
// the CLI process writes and exports.
import { Prometheus } from "@dfo-writeback/testkit"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"

export type Sample = Prometheus.Sample
export const parsePrometheus = Prometheus.parse
export const total = Prometheus.total

/** A span as the receiver decoded it from OTLP protobuf. */
export interface ReceivedSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string
  readonly name: string
  readonly service: string
}

interface Field {
  readonly no: number
  /** Length-delimited payloads; other wire types are skipped. */
  readonly bytes?: Buffer
}

/** The fields of one protobuf message: enough of the wire format to walk OTLP's tree. */
const fieldsOf = (buffer: Buffer): ReadonlyArray<Field> => {
  const fields: Array<Field> = []
  let at = 0
  const varint = () => {
    let result = 0n
    let shift = 0n
    for (;;) {
      const byte = buffer[at++]
      if (byte === undefined) throw new Error("truncated varint")
      result |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return result
      shift += 7n
    }
  }
  while (at < buffer.length) {
    const key = Number(varint())
    const no = key >> 3
    switch (key & 7) {
      case 0:
        varint()
        fields.push({ no })
        break
      case 1:
        at += 8
        fields.push({ no })
        break
      case 2: {
        const length = Number(varint())
        fields.push({ no, bytes: buffer.subarray(at, at + length) })
        at += length
        break
      }
      case 5:
        at += 4
        fields.push({ no })
        break
      default:
        throw new Error(`unsupported wire type in field ${no}`)
    }
  }
  return fields
}

const sub = (buffer: Buffer, no: number) =>
  fieldsOf(buffer).flatMap((f) => (f.no === no && f.bytes !== undefined ? [f.bytes] : []))

const text = (buffer: Buffer, no: number) => sub(buffer, no)[0]?.toString("utf8") ?? ""
const hex = (buffer: Buffer, no: number) => sub(buffer, no)[0]?.toString("hex") ?? ""

/**
 * The spans of an `ExportTraceServiceRequest`: resource_spans (1) → resource (1) with its
 * attributes (1), scope_spans (2) → spans (2) with trace_id (1), span_id (2),
 * parent_span_id (4) and name (5).
 */
export const decodeTraces = (body: Buffer): ReadonlyArray<ReceivedSpan> =>
  sub(body, 1).flatMap((resourceSpans) => {
    const resource = sub(resourceSpans, 1)[0] ?? Buffer.alloc(0)
    const serviceName = sub(resource, 1)
      .filter((kv) => text(kv, 1) === "service.name")
      .map((kv) => text(sub(kv, 2)[0] ?? Buffer.alloc(0), 1))[0]
    return sub(resourceSpans, 2).flatMap((scopeSpans) =>
      sub(scopeSpans, 2).map((span) => ({
        traceId: hex(span, 1),
        spanId: hex(span, 2),
        parentSpanId: hex(span, 4),
        name: text(span, 5),
        service: serviceName ?? ""
      }))
    )
  })

/** An OTLP/HTTP collector on a free loopback port that decodes the protobuf it is sent. */
export const otlpReceiver = Effect.acquireRelease(
  Effect.async<{
    server: http.Server
    endpoint: string
    spans: () => ReadonlyArray<ReceivedSpan>
    requests: () => ReadonlyArray<string>
    /** Every exported request body as it came, for searching what left the process. */
    bodies: () => ReadonlyArray<Buffer>
  }>((resume) => {
    const spans: Array<ReceivedSpan> = []
    const requests: Array<string> = []
    const bodies: Array<Buffer> = []
    const server = http.createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        const type = request.headers["content-type"]
        requests.push(`${request.method} ${request.url} ${type}`)
        if (request.url !== "/v1/traces" || type !== "application/x-protobuf") {
          response.writeHead(415).end()
          return
        }
        bodies.push(Buffer.concat(chunks))
        spans.push(...decodeTraces(Buffer.concat(chunks)))
        response.writeHead(200, { "content-type": "application/x-protobuf" }).end()
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(
        Effect.succeed({
          server,
          endpoint: `http://127.0.0.1:${port}`,
          spans: () => spans,
          requests: () => requests,
          bodies: () => bodies
        })
      )
    })
  }),
  ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
)
