import { Effect, Fiber } from "effect"
import type { Stop } from "./ledger.js"

/** The abort reason a run's `stop` completed with. */
export const stopReason = (reason: string | void): string =>
  typeof reason === "string" ? reason : "interrupted"

/** `effect`, stopped as `options.stop` asks: no further retry, the summary says why. */
export const stoppable = <A, E>(
  effect: Effect.Effect<A, E>,
  signal: Effect.Effect<string | void> | undefined,
  stop: Stop
): Effect.Effect<A, E> =>
  signal === undefined
    ? effect
    : // Forked here, not in an acquire (uninterruptible): its interruption must not wait
      // for a signal that never comes.
      Effect.flatMap(
        Effect.fork(Effect.flatMap(signal, (reason) => stop.abort(stopReason(reason)))),
        (watcher) => Effect.ensuring(effect, Fiber.interrupt(watcher))
      )
