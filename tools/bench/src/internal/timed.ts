import { Effect } from "effect"
import { type Elapsed, stopwatch } from "./timing.js"

/** Runs `effect` and pairs its value with the wall and CPU time it took, in milliseconds. */
export const timed = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<readonly [Elapsed, A], E, R> =>
  Effect.suspend(() => {
    const elapsed = stopwatch()
    return Effect.map(effect, (value) => [elapsed(), value] as const)
  })
