/**
 * One full run across processes (CONTRACT §8): a job that may write takes the lease
 * before its first event and holds it until its stream ends. A lease lost on the way
 * stops the run from starting users, its summary aborted with reason `LEASE_LOST: …`.
 */
import type { WritebackEvent } from "@dfo-writeback/domain"
import type { Lease, LeaseError } from "@dfo-writeback/lease"
import type { Writeback } from "@dfo-writeback/writeback"
import { Effect, Stream } from "effect"

/** Why a job that needed the lease did not start. */
export type LeaseRefused = LeaseError.LeaseHeld | LeaseError.LeaseUnavailable

/** `events`, holding `lease` for their length when `mayWrite`; else as they are. */
export const holding = <E>(
  lease: Lease.Service,
  mayWrite: boolean,
  options: Writeback.RunOptions,
  events: (options: Writeback.RunOptions) => Stream.Stream<WritebackEvent, E>
): Stream.Stream<WritebackEvent, E | LeaseRefused> =>
  mayWrite
    ? Stream.unwrapScoped(
        Effect.map(lease.acquire, (held) =>
          events({
            ...options,
            stop: options.stop === undefined ? held.lost : Effect.raceFirst(options.stop, held.lost)
          })
        )
      )
    : events(options)
