import {
  type Candidate,
  claimedKeys,
  type DfoEmployee,
  type PortalUser
} from "@dfo-writeback/domain"
import { Effect } from "effect"
import type { UserContext } from "./context.js"

/** A candidate whose comparison found something to write, and what DFØ held then. */
export interface Planned {
  readonly candidate: Candidate
  readonly employee: DfoEmployee
}

/**
 * The other entries among `claimants` that claim `candidate`'s employee (`claimedKeys`:
 * those passing checks 1–6, and those whose id alone is malformed), by name.
 */
const othersAmong = (
  run: UserContext,
  candidate: Candidate,
  claimants: ReadonlyArray<PortalUser>
): ReadonlyArray<string> =>
  claimants
    .filter((other) => other.dn !== candidate.user.dn)
    .filter((other) =>
      claimedKeys(other, run.settings.rules, run.settings.mapping).includes(candidate.key)
    )
    .map((other) => other.idautoId ?? other.dn)

/**
 * Check 6a for one user: the other entries that claim its employee, found with one extra
 * search as broad as a full run's claim pass.
 */
export const othersClaiming = (run: UserContext, candidate: Candidate) =>
  Effect.map(run.directory.findByEmployeeId(candidate.sapId), (claimants) =>
    othersAmong(run, candidate, claimants)
  )

/** Check 6a for several users at once (an incremental run's), with few searches. */
export const othersClaimingEach = (run: UserContext, candidates: ReadonlyArray<Candidate>) =>
  Effect.map(
    run.directory.findByEmployeeIds(candidates.map((candidate) => candidate.sapId)),
    (found) =>
      candidates.map((candidate) => othersAmong(run, candidate, found.get(candidate.key) ?? []))
  )
