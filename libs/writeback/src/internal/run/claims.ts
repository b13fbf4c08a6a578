import type { Candidate, Counted, PagePlanner, UserResult } from "@dfo-writeback/domain"
import { Chunk, Effect } from "effect"
import * as Results from "../results.js"
import type { Planned } from "./planned.js"
import type { RunContext } from "./context.js"
import * as Ledger from "./ledger.js"

/**
 * Check 6a for a full run (CONTRACT §4). A real run reads the directory once: an id may
 * be claimed again pages after its first claimant was decided. So a candidate's result
 * is counted as it is decided but held back until every page is read; then every
 * claimant of an id claimed again is reported DUPLICATE_EMPLOYEE_ID naming all the
 * others, the rest as decided. Its writes wait for the whole plan anyway (the guard),
 * and `claimedLater` stops those of such ids. A dry run streams its results as they are
 * decided (the preview people watch), so it first finds the ids claimed several times
 * with a pass that reads only the ids, and holds nothing here.
 */

/** A candidate's result as decided, before check 6a knows every claim. */
export interface Decided {
  readonly candidate: Candidate
  readonly result: UserResult
}

/**
 * A held claimant, one per candidate of a real run, so no more than a result: who it is
 * (its result, or its identity when it has none), its result (`undefined`:
 * UNCHANGED, only counted; or a write that never reached the guard), and what the ledger
 * counted for it (`undefined`: nothing).
 */
interface Held {
  readonly key: string
  readonly user: Results.Identity
  readonly result: UserResult | undefined
  readonly counted: Counted | undefined
}

export interface Claims {
  /**
   * Counts and logs a page's (or a read's) finished users: `final` results (no claim
   * can change them), candidates' `decided` results, and `unchanged` candidates counted
   * without results. Returns what streams now.
   */
  readonly settle: (
    final: ReadonlyArray<UserResult>,
    decided: ReadonlyArray<Decided>,
    unchanged: ReadonlyArray<Candidate>
  ) => Effect.Effect<Chunk.Chunk<UserResult>>
  /**
   * Whether a planned write goes to the guard: not when its id is already claimed again
   * (then it is held, a duplicate). The guard never counts such a write, so no write it
   * dropped past its limit can come back under it (see `withdrawn`).
   */
  readonly plan: (planned: Planned) => boolean
  /**
   * How many writes sent to the guard a claim since the last call has stopped; asked
   * before a page's writes are sent, so the guard's count is exact by each checkpoint
   * but for claims still to come (it may trip early by those, never late).
   */
  readonly withdrawn: () => number
  /** Once every page is read: the held results, those of ids claimed again as duplicates. */
  readonly release: Effect.Effect<Chunk.Chunk<UserResult>>
}

/** `planner`: the one-pass planner of a real run; `undefined` after a dry run's pass 1. */
export const make = (run: RunContext, planner: PagePlanner | undefined): Claims => {
  let held: Array<Held> = []
  let sent: Array<Candidate> = []
  const counting = run.unchangedResults === "count"

  const hold = (
    candidate: Candidate,
    result: UserResult | undefined,
    counted: Counted | undefined
  ) => {
    if (result === undefined || (counting && result.outcome === "UNCHANGED")) {
      held.push({
        key: candidate.key,
        user: Results.identity(candidate.user),
        result: undefined,
        counted: result === undefined ? counted : Ledger.unchanged
      })
    } else held.push({ key: candidate.key, user: result, result, counted })
  }

  const settle: Claims["settle"] = (final, decided, unchanged) =>
    Effect.zipRight(
      run.ledger.recordUnchanged(unchanged.length),
      Effect.map(
        run.settle(decided.length === 0 ? final : [...final, ...decided.map((d) => d.result)]),
        (chunk) => {
          if (planner === undefined) return chunk
          for (const { candidate, result } of decided) hold(candidate, result, result)
          for (const candidate of unchanged) hold(candidate, undefined, Ledger.unchanged)
          return counting
            ? Chunk.unsafeFromArray(final.filter((r) => r.outcome !== "UNCHANGED"))
            : Chunk.unsafeFromArray(final)
        }
      )
    )

  const plan: Claims["plan"] = ({ candidate }) => {
    if (planner === undefined) return true
    if (planner.claimedLater(candidate) !== undefined) {
      hold(candidate, undefined, undefined)
      return false
    }
    sent.push(candidate)
    return true
  }

  const withdrawn = () => {
    if (planner === undefined || sent.length === 0) return 0
    const before = sent.length
    sent = sent.filter((candidate) => planner.claimedLater(candidate) === undefined)
    return before - sent.length
  }

  const release = Effect.suspend(() => {
    if (planner === undefined) return Effect.succeed(Chunk.empty<UserResult>())
    const results: Array<UserResult> = []
    const moves: Array<readonly [Counted, UserResult]> = []
    const fresh: Array<UserResult> = []
    for (const entry of held) {
      const others = planner.claimedLater(entry)
      // A held write is always claimed again: a claim, once made, is never taken back.
      if (others === undefined && entry.counted !== undefined) {
        if (entry.result !== undefined) results.push(entry.result)
        continue
      }
      const duplicate = Results.duplicateOf(entry.user, entry.user.sapId, others ?? [])
      if (entry.counted === undefined) fresh.push(duplicate)
      else {
        moves.push([entry.counted, duplicate])
        results.push(duplicate)
      }
    }
    held = []
    sent = []
    return Effect.zipWith(run.ledger.reclassify(moves), run.settle(fresh), (_, settled) =>
      Chunk.appendAll(Chunk.unsafeFromArray(results), settled)
    )
  })

  return { settle, plan, withdrawn, release }
}
