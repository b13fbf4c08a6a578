import { Data } from "effect"

/** Why one HTTP attempt did not succeed; becomes a SapFetchError/SapUpdateError at the end. */
export class AttemptFailure extends Data.TaggedError("AttemptFailure")<{
  readonly status?: number | undefined
  readonly faultText?: string | undefined
  readonly reason: string
  /** Worth another attempt: 429, 502–504, timeouts, dropped connections. */
  readonly transient: boolean
  /** The server's `Retry-After`, in milliseconds. */
  readonly retryAfterMs?: number | undefined
}> {}
