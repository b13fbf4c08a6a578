/**
 * Waiting for a condition: run a check on a `Schedule` until it holds, and fail with a
 * `PollTimeout` naming what was awaited when it never does. The timeout only bounds a wait
 * that went wrong; it is never how a test proves that something did not happen.
 */
import { Data, Duration, Effect, Option, Schedule, Schema } from "effect"

/** The condition did not hold within the time given. */
export class PollTimeout extends Schema.TaggedError<PollTimeout>()("PollTimeout", {
  what: Schema.String,
  timeoutMs: Schema.Number
}) {
  override get message() {
    return `gave up waiting for ${this.what} after ${this.timeoutMs} ms`
  }
}

export interface Options {
  /** What is awaited, for the error: "the server to listen", "3 PUTs in the request log". */
  readonly what: string
  /** How long to keep checking. Default 10 s. */
  readonly timeout?: Duration.DurationInput
  /** Pause between checks. Default 20 ms; `schedule` replaces it. */
  readonly interval?: Duration.DurationInput
  /** When to check again (e.g. `Schedule.exponential("10 millis")`); `timeout` still caps it. */
  readonly schedule?: Schedule.Schedule<unknown, unknown>
}

class NotYet extends Data.TaggedError("NotYet") {}

/** Runs `check` until it returns a value, and returns that value. */
export const some = <A, E, R>(
  check: Effect.Effect<Option.Option<A>, E, R>,
  options: Options
): Effect.Effect<A, E | PollTimeout, R> => {
  const timeout = Duration.decode(options.timeout ?? Duration.seconds(10))
  const schedule = (options.schedule ?? Schedule.spaced(options.interval ?? "20 millis")).pipe(
    Schedule.upTo(timeout)
  )
  return check.pipe(
    Effect.flatMap(
      Option.match({
        onNone: () => Effect.fail(new NotYet()),
        onSome: (value) => Effect.succeed(value)
      })
    ),
    Effect.retry({ schedule, while: (error) => error instanceof NotYet }),
    Effect.catchIf(
      (error): error is NotYet => error instanceof NotYet,
      () => new PollTimeout({ what: options.what, timeoutMs: Duration.toMillis(timeout) })
    )
  )
}

/** Runs `check` until it returns `true`. */
export const until = <E, R>(
  check: Effect.Effect<boolean, E, R>,
  options: Options
): Effect.Effect<void, E | PollTimeout, R> =>
  some(
    Effect.map(check, (done) => (done ? Option.some(undefined) : Option.none())),
    options
  )
