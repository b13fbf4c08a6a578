/**
 * Holding a `coordination.k8s.io/v1` Lease: take it when free, expired or already ours;
 * renew it every third of its duration; lose it when a renewal cannot land before it
 * would expire or someone else holds it; release it on the way out.
 */
import { Deferred, Duration, Effect, Ref, Schedule } from "effect"
import { LeaseHeld } from "../LeaseError.js"
import type { Acquire } from "./held.js"
import { type LeaseObject, make as makeApi, microTime, type Options } from "./leaseApi.js"

export type { Options } from "./leaseApi.js"

export const acquire = (options: Options): Acquire =>
  Effect.gen(function* () {
    const { read, write, unavailable } = yield* makeApi(options)

    const held = (lease: LeaseObject) =>
      new LeaseHeld({ lease: options.lease, holder: lease.spec.holderIdentity ?? "someone" })
    const expired = (lease: LeaseObject, now: number) => {
      const renewed = Date.parse(lease.spec.renewTime ?? "")
      const duration = (lease.spec.leaseDurationSeconds ?? options.durationSeconds) * 1000
      return Number.isNaN(renewed) || renewed + duration < now
    }
    const mine = (lease: LeaseObject) => lease.spec.holderIdentity === options.identity

    /** Takes the lease once: free, expired or already ours; a lost race is `LeaseHeld`. */
    const take = Effect.gen(function* () {
      const current = yield* read
      const now = Date.now()
      const lease = current._tag === "Lease" ? current.lease : undefined
      const holder = lease?.spec.holderIdentity ?? ""
      if (lease !== undefined && holder !== "" && !mine(lease) && !expired(lease, now)) {
        return yield* held(lease)
      }
      const written = yield* write(lease, {
        holderIdentity: options.identity,
        leaseDurationSeconds: options.durationSeconds,
        acquireTime: lease !== undefined && mine(lease) ? lease.spec.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions:
          (lease?.spec.leaseTransitions ?? 0) + (lease !== undefined && !mine(lease) ? 1 : 0)
      })
      if (written._tag === "Lease") return now
      const after = yield* read
      return yield* after._tag === "Lease"
        ? held(after.lease)
        : unavailable("the lease changed while it was taken; try again")
    })

    const renewedAt = yield* Ref.make(yield* take)
    const lost = yield* Deferred.make<string>()
    const interval = Duration.millis((options.durationSeconds * 1000) / 3)

    // Released on the way out, best effort (the lease expires anyway); added before the
    // renewals start, so they are stopped first.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        if (yield* Deferred.isDone(lost)) return
        const current = yield* read
        if (current._tag === "Lease" && mine(current.lease)) {
          yield* write(current.lease, {
            ...current.lease.spec,
            holderIdentity: null,
            leaseDurationSeconds: 1,
            renewTime: microTime(Date.now())
          })
        }
      }).pipe(Effect.ignore)
    )

    /** Renews once; a lease someone else holds now is lost at once. */
    const renew = Effect.gen(function* () {
      const current = yield* read
      if (current._tag !== "Lease" || !mine(current.lease)) {
        return yield* Deferred.succeed(
          lost,
          current._tag === "Lease"
            ? `LEASE_LOST: ${options.lease} is now held by ${current.lease.spec.holderIdentity ?? "nobody"}`
            : `LEASE_LOST: ${options.lease} was deleted`
        )
      }
      const now = Date.now()
      const written = yield* write(current.lease, {
        ...current.lease.spec,
        renewTime: microTime(now)
      })
      if (written._tag === "Lease") yield* Ref.set(renewedAt, now)
      else yield* unavailable("a renewal lost a race; trying again")
    })

    // Every third of the duration; after a failure, each second until the lease would
    // have expired, and then it is lost.
    const renewOrLose = renew.pipe(
      Effect.retry({
        schedule: Schedule.spaced("1 second"),
        while: () =>
          Effect.map(Ref.get(renewedAt), (at) => Date.now() < at + options.durationSeconds * 1000)
      }),
      Effect.catchAll((error) =>
        Deferred.succeed(
          lost,
          `LEASE_LOST: ${options.lease} could not be renewed within ${options.durationSeconds} s: ${error.reason}`
        )
      )
    )
    yield* Effect.sleep(interval).pipe(
      Effect.zipRight(renewOrLose),
      Effect.repeat({ until: () => Deferred.isDone(lost) }),
      Effect.forkScoped
    )
    return { lost: Deferred.await(lost) }
  })
