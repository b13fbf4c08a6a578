import { Effect } from "effect"
import { now } from "./timing.js"

/** Runs `effect` and pairs its value with the wall time it took, in milliseconds. */
export const timed = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<readonly [number, A], E, R> =>
  Effect.suspend(() => {
    const start = now()
    return Effect.map(effect, (value) => [now() - start, value] as const)
  })
