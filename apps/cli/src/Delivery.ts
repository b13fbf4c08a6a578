import { Effect } from "effect"

/**
 * Whether what the CLI writes to a stream arrives. Node reports a full disk or a closed
 * pipe as the stream's `error` event, after `write` has returned; unwatched, stdout's
 * results were lost while the run exited 0.
 */
export interface Delivery {
  /** Why the stream could not be written, once it could not. */
  readonly failure: () => string | undefined
  /** Completes when everything written so far has been handed on, or has failed. */
  readonly flushed: Effect.Effect<void>
  /** Stops watching. */
  readonly release: () => void
}

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

export const watch = (stream: NodeJS.WriteStream): Delivery => {
  let failure: string | undefined
  const onError = (cause: unknown) => {
    failure ??= reasonOf(cause)
  }
  stream.on("error", onError)
  return {
    failure: () => failure,
    flushed: Effect.async<void>((resume) => {
      if (stream.destroyed) return resume(Effect.void)
      // An empty write's callback runs once the writes before it are done.
      stream.write("", (cause) => {
        if (cause !== null && cause !== undefined) onError(cause)
        resume(Effect.void)
      })
    }),
    release: () => void stream.removeListener("error", onError)
  }
}
