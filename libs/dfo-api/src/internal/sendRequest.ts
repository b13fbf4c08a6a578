import { Effect } from "effect"
import type { Dispatcher } from "undici"
import { AttemptFailure } from "./AttemptFailure.js"

/** A complete answer; `body` is `undefined` when it was over the size limit and not read. */
export interface HttpAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly body: string | undefined
  readonly bodyLimit: number
}

export interface HttpRequest {
  readonly method: "GET" | "PUT" | "PATCH"
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
  /** The most body bytes read; a longer answer is cut off and reported as too large. */
  readonly maxBytes: number
}

const describe = (error: unknown): string => {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    const cause = (error as { cause?: unknown }).cause
    const causeText =
      cause instanceof Error && cause.message !== error.message ? `: ${cause.message}` : ""
    return `${error.message}${causeText}${typeof code === "string" ? ` (${code})` : ""}`
  }
  return String(error)
}

/**
 * One HTTP exchange over the pool, body included. Interruption aborts it (the signal
 * reaches undici, which closes the socket), so a timeout or a cancelled run stops talking
 * to DFØ at once. Transport errors are transient.
 */
export const sendRequest = (
  dispatcher: Dispatcher,
  request: HttpRequest
): Effect.Effect<HttpAnswer, AttemptFailure> =>
  Effect.tryPromise({
    try: async (signal) => {
      const response = await dispatcher.request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal
      })
      const answer = (body: string | undefined): HttpAnswer => ({
        status: response.statusCode,
        headers: response.headers,
        body,
        bodyLimit: request.maxBytes
      })
      // Dropping an unread body closes its connection; undici then reports an AbortError
      // on the stream, which is expected here and must not go unhandled.
      const refuse = () => {
        response.body.on("error", () => undefined)
        response.body.destroy()
        return answer(undefined)
      }
      const declared = Number(response.headers["content-length"])
      if (Number.isFinite(declared) && declared > request.maxBytes) return refuse()
      const chunks: Array<Buffer> = []
      let size = 0
      for await (const chunk of response.body) {
        const buffer = chunk as Buffer
        size += buffer.length
        if (size > request.maxBytes) return refuse()
        chunks.push(buffer)
      }
      return answer(Buffer.concat(chunks, size).toString("utf8"))
    },
    catch: (error) =>
      new AttemptFailure({ reason: `request failed: ${describe(error)}`, transient: true })
  })
