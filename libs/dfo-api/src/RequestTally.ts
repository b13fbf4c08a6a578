import { Effect, FiberRef, Option } from "effect"

/** What one run asked of DFØ (RunSummary's `dfo_*` counts). */
export interface RequestTally {
  /** HTTP attempts, retries included. */
  requests: number
  /** Attempts after the first of a call. */
  retries: number
  /** `429` answers. */
  rateLimited: number
}

export const empty = (): RequestTally => ({ requests: 0, retries: 0, rateLimited: 0 })

/**
 * The tally the current fiber's DFØ calls count into. A fiber-local value rather than
 * a service counter, so runs side by side on one server each count only their own.
 */
export const current: FiberRef.FiberRef<Option.Option<RequestTally>> = FiberRef.unsafeMake(
  Option.none<RequestTally>()
)

/** Runs `effect` with its DFØ calls counted into `tally`. */
export const into =
  (tally: RequestTally) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locally(effect, current, Option.some(tally))

/** Adds to the current fiber's tally, if any. */
export const count = (update: (tally: RequestTally) => void): Effect.Effect<void> =>
  Effect.map(FiberRef.get(current), (tally) => {
    if (Option.isSome(tally)) update(tally.value)
  })
