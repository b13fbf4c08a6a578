import * as http2 from "node:http2"
import { token } from "./grpc.js"

/** What a raw call answered: the gRPC status (headers or trailers) and its details. */
export interface RawAnswer {
  readonly status: number | undefined
  readonly message: string
}

export interface RawCall {
  readonly answer: Promise<RawAnswer>
  readonly close: () => void
}

/**
 * One gRPC call over a bare HTTP/2 client, as a hand-written or hostile client makes it:
 * `body` is sent as the request message whatever it holds. With `read: false` the client
 * grants no flow-control window, so the server can send it nothing: a client that stopped
 * reading.
 */
export const rawCall = (
  address: string,
  path: string,
  body: Uint8Array,
  options: { readonly read: boolean } = { read: true }
): RawCall => {
  const session = http2.connect(
    `http://${address}`,
    options.read ? {} : { settings: { initialWindowSize: 0 } }
  )
  session.on("error", () => undefined)
  const stream = session.request({
    ":method": "POST",
    ":path": path,
    "content-type": "application/grpc",
    te: "trailers",
    authorization: `Bearer ${token}`
  })
  stream.on("error", () => undefined)
  const frame = Buffer.alloc(5 + body.length)
  frame.writeUInt32BE(body.length, 1)
  Buffer.from(body).copy(frame, 5)
  stream.end(frame)
  const answer = new Promise<RawAnswer>((resolve) => {
    const settle = (headers: http2.IncomingHttpHeaders) => {
      const status = headers["grpc-status"]
      if (status === undefined) return
      resolve({
        status: Number(status),
        message: decodeURIComponent(String(headers["grpc-message"] ?? ""))
      })
    }
    stream.on("response", settle)
    stream.on("trailers", settle)
    stream.on("close", () => resolve({ status: undefined, message: "closed without a status" }))
    if (options.read) stream.resume()
  })
  return { answer, close: () => session.destroy() }
}
