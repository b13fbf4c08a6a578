import { type Candidate, MassUpdateGuard, type UserResult } from "@dfo-writeback/domain"
import { Chunk, Effect, Option, Ref, Stream } from "effect"
import type { Step } from "./decide.js"
import type { Planned } from "./planned.js"

/** The mass-update guard's limits (CONTRACT §4): the lower of the two when both are set. */
export interface Limits {
  /** The limit in force. */
  readonly limit: number
  /** `WRITEBACK_MAX_UPDATES`. */
  readonly configured: number
  /** The request's `max_updates`; 0 when not given. */
  readonly requested: number
}

export const limits = (configured: number, requested: number): Limits => ({
  limit: requested > 0 ? Math.min(configured, requested) : configured,
  configured,
  requested
})

/**
 * The planned writes the guard holds: every one it counts, but at most `limit + 1`
 * kept, since past the limit the guard trips and none is written.
 */
export interface HeldPlan {
  readonly planned: Chunk.Chunk<Planned>
  readonly count: number
}

export const emptyPlan: HeldPlan = { planned: Chunk.empty(), count: 0 }

/** One more planned write. */
export const hold = (plan: HeldPlan, planned: Planned, limit: number): HeldPlan => ({
  planned: plan.count <= limit ? Chunk.append(plan.planned, planned) : plan.planned,
  count: plan.count + 1
})

const tripped = (count: number, { limit, configured, requested }: Limits) =>
  new MassUpdateGuard({
    planned: count,
    limit,
    configuredLimit: configured,
    requestLimit: requested
  })

/** What passes the guard: results as they come, then the plan it cleared. */
export type Cleared =
  | { readonly _tag: "Results"; readonly results: Chunk.Chunk<UserResult> }
  | {
      readonly _tag: "Plan"
      readonly planned: Chunk.Chunk<Planned>
      readonly claimedLater: (candidate: Candidate) => ReadonlyArray<string> | undefined
    }

/**
 * The guard stage of a full run: results pass at once; planned writes are held until
 * the plan is complete, and over the limit nothing is written. It trips at the first
 * page that passes the limit, which stops the read early.
 */
export const guard =
  (bounds: Limits) =>
  <E, R>(steps: Stream.Stream<Step, E, R>): Stream.Stream<Cleared, E | MassUpdateGuard, R> =>
    Stream.unwrap(
      Effect.map(Ref.make(emptyPlan), (held) =>
        steps.pipe(
          Stream.mapEffect((step): Effect.Effect<Option.Option<Cleared>, MassUpdateGuard> => {
            switch (step._tag) {
              case "Results":
                return Effect.succeedSome<Cleared>(step)
              case "Planned":
                return Effect.as(
                  Ref.update(held, (plan) => hold(plan, step.planned, bounds.limit)),
                  Option.none()
                )
              case "Withdrawn":
                return Effect.as(
                  Ref.update(held, (plan) => ({ ...plan, count: plan.count - step.count })),
                  Option.none()
                )
              case "Checkpoint":
                return Effect.flatMap(Ref.get(held), ({ count }) =>
                  count > bounds.limit ? tripped(count, bounds) : Effect.succeedNone
                )
              case "Complete":
                return Effect.flatMap(Ref.get(held), ({ planned, count }) =>
                  count > bounds.limit
                    ? tripped(count, bounds)
                    : Effect.succeedSome<Cleared>({
                        _tag: "Plan",
                        planned,
                        claimedLater: step.claimedLater
                      })
                )
            }
          }),
          Stream.filterMap((cleared) => cleared)
        )
      )
    )

/** A reviewed plan's guard: `maxUpdates`, when above 0, bounds it (CONTRACT §7). */
export const reviewed = (
  users: number,
  maxUpdates: number,
  configured: number
): Effect.Effect<void, MassUpdateGuard> =>
  maxUpdates > 0 && users > maxUpdates
    ? tripped(users, { limit: maxUpdates, configured, requested: maxUpdates })
    : Effect.void
