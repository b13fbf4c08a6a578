import type { Effect, Scope } from "effect"
import type { LeaseHeld, LeaseUnavailable } from "../LeaseError.js"

/** A lease this process holds, until the scope that took it closes. */
export interface Held {
  /** Completes, with the reason, when the lease is lost; never while it is held. */
  readonly lost: Effect.Effect<string>
}

/** Taking a lease for the length of the scope: every kind of lease answers this way. */
export type Acquire = Effect.Effect<Held, LeaseHeld | LeaseUnavailable, Scope.Scope>
