import { Effect, Stream } from "effect"
import type { Headers } from "./Answer.js"
import { AttemptFailure } from "./AttemptFailure.js"

/** The refusal of an answer larger than its call allows. */
export const tooLarge = (status: number, maxBytes: number): AttemptFailure =>
  new AttemptFailure({
    status,
    reason: `the answer is larger than ${maxBytes} bytes; refused`,
    transient: false
  })

/** An answer's declared `content-length` is over the limit: refused before reading. */
export const declaredTooLarge = (headers: Headers, maxBytes: number): boolean => {
  const declared = Number(headers["content-length"])
  return Number.isFinite(declared) && declared > maxBytes
}

/**
 * The whole body, read until it ends or passes `maxBytes`; `undefined` once past the
 * limit, where the read stops (the stream's end closes the exchange).
 */
export const collectWithin = (
  body: Stream.Stream<Uint8Array, AttemptFailure>,
  maxBytes: number
): Effect.Effect<Buffer | undefined, AttemptFailure> =>
  Effect.suspend(() => {
    const chunks: Array<Uint8Array> = []
    let size = 0
    return Stream.runForEachWhile(body, (chunk) => {
      size += chunk.length
      if (size > maxBytes) return Effect.succeed(false)
      chunks.push(chunk)
      return Effect.succeed(true)
    }).pipe(Effect.map(() => (size > maxBytes ? undefined : Buffer.concat(chunks, size))))
  })
