import { type Candidate, claimedKeys, type DfoEmployee } from "@dfo-writeback/domain"
import { Effect } from "effect"
import type { UserContext } from "./context.js"

/** A candidate whose comparison found something to write, and what DFØ held then. */
export interface Planned {
  readonly candidate: Candidate
  readonly employee: DfoEmployee
}

/**
 * Check 6a for one user: the other entries that claim its employee (`claimedKeys`: those
 * passing checks 1–6, and those whose id alone is malformed), found with one extra search
 * as broad as a full run's claim pass.
 */
export const othersClaiming = (run: UserContext, candidate: Candidate) =>
  run.directory.findByEmployeeId(candidate.sapId).pipe(
    Effect.map((entries) =>
      entries
        .filter((other) => other.dn !== candidate.user.dn)
        .filter((other) =>
          claimedKeys(other, run.settings.rules, run.settings.mapping).includes(candidate.key)
        )
        .map((other) => other.idautoId ?? other.dn)
    )
  )
