/**
 * One full run at a time per server (CONTRACT §5): a second `process_all` is refused at
 * once rather than queued, so a scheduler retrying a stuck night never stacks runs.
 * Single-user calls never pass through the gate and run alongside. Inside it, a run that
 * may write also takes `WRITEBACK_LEASE` (CONTRACT §8): one full run across processes.
 */
import type { Lease, LeaseError } from "@dfo-writeback/lease"
import { Effect, Option } from "effect"
import { RunInProgress } from "./ServerError.js"

export interface RunGate {
  /**
   * Runs `run` holding the gate and, when `mayWrite`, the lease, or fails with
   * `RunInProgress` / `LeaseHeld` when either is taken. `run` is given what stops it: the
   * lease lost (`LEASE_LOST: …`), or `undefined` when it holds none.
   */
  readonly exclusive: <A, E, R>(
    mayWrite: boolean,
    run: (stop: Effect.Effect<string> | undefined) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | RunInProgress | LeaseError.LeaseHeld | LeaseError.LeaseUnavailable, R>
}

export const make = (lease: Lease.Service): Effect.Effect<RunGate> =>
  Effect.map(Effect.makeSemaphore(1), (semaphore) => ({
    exclusive: (mayWrite, run) =>
      semaphore
        .withPermitsIfAvailable(1)(
          mayWrite
            ? Effect.scoped(Effect.flatMap(lease.acquire, (held) => run(held.lost)))
            : run(undefined)
        )
        .pipe(
          Effect.flatMap(
            Option.match({
              onNone: () => Effect.fail(new RunInProgress()),
              onSome: Effect.succeed
            })
          )
        )
  }))
