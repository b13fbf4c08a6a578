import type { Effect } from "effect"
import type { Trigger } from "./EventMessage.js"

/** What a run for one event came to, as the consumer needs to know it. */
export type Verdict =
  /** The run has an outcome (written, unchanged, skipped, not found, ambiguous…). */
  | { readonly _tag: "Done" }
  /**
   * This person's run failed (DFØ rejected their request or record): requeued, counted as an
   * attempt.
   */
  | { readonly _tag: "Failed"; readonly reason: string }
  /**
   * LDAP or DFØ is unreachable (transient answers after retries included), or DFØ refused
   * the key: every message would fail the same way, so consumption pauses; the message is
   * requeued without counting as an attempt.
   */
  | { readonly _tag: "Outage"; readonly reason: string }

/** Runs one event's single-user run (caller `events:<source>`) and says how it went. */
export type RunEvent = (trigger: Trigger) => Effect.Effect<Verdict>

/** A message's verdict from its people's: an outage over a failure over done. */
export const worst = (verdicts: ReadonlyArray<Verdict>): Verdict =>
  verdicts.find((v) => v._tag === "Outage") ??
  verdicts.find((v) => v._tag === "Failed") ?? { _tag: "Done" }
