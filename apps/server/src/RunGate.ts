/**
 * One full run at a time per server (CONTRACT §5): a second `process_all` is refused at
 * once rather than queued, so a scheduler retrying a stuck night never stacks runs.
 * Single-user calls never pass through the gate and run alongside.
 */
import { Effect, Option } from "effect"
import { RunInProgress } from "./ServerError.js"

export interface RunGate {
  /** Runs `effect` holding the gate, or fails with `RunInProgress` when it is taken. */
  readonly exclusive: <A, E, R>(
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | RunInProgress, R>
}

export const make: Effect.Effect<RunGate> = Effect.map(Effect.makeSemaphore(1), (semaphore) => ({
  exclusive: (effect) =>
    semaphore
      .withPermitsIfAvailable(1)(effect)
      .pipe(
        Effect.flatMap(
          Option.match({
            onNone: () => Effect.fail(new RunInProgress()),
            onSome: Effect.succeed
          })
        )
      )
}))
