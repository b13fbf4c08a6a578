import type { LdapConnectionError, PageDecision, PortalUser } from "@dfo-writeback/domain"
import { Chunk, Effect, type Scope, Sink, Stream } from "effect"
import type { RunContext } from "./context.js"
import { othersClaiming } from "./planned.js"

/**
 * Up to this many changed entries an incremental run reads each employee on its own;
 * above it, DFØ's list of all employees. The list costs about 1 s and 37 MB of text at
 * 50 000 employees (docs/benchmarks.md), more at a larger institution; 500 single GETs at
 * DFØ's ~20 ms with SAP_CONCURRENCY=8 cost about 1.3 s and nothing held.
 */
export const listThreshold = 500

/** The changed entries, and whether there are more than `listThreshold` of them. */
export interface Changed {
  readonly entries: Stream.Stream<PortalUser, LdapConnectionError>
  readonly many: boolean
}

/**
 * An incremental run's entries (CONTRACT §8): those modified at or after `since`. Reads
 * at most `listThreshold + 1` of them ahead to learn whether DFØ's list pays, then
 * streams them all, the rest page by page.
 */
export const changed = (
  run: RunContext,
  since: Date
): Effect.Effect<Changed, LdapConnectionError, Scope.Scope> =>
  Effect.map(
    Stream.peel(run.directory.streamAll(since), Sink.take<PortalUser>(listThreshold + 1)),
    ([first, rest]) => ({
      entries: Stream.concat(Stream.fromChunk(first), rest),
      many: Chunk.size(first) > listThreshold
    })
  )

/**
 * Check 6a, one search each (`othersClaiming`, as a single-user run makes: rules 1–6
 * applied to the others), for the candidates an incremental run decided without seeing
 * every claim: with a few changed entries, every one that would be written or reported
 * (no pass over the directory's ids is made); with many, the held ones left alone in the
 * window, whose id the pass found claimed again outside it. Another claimant turns such a
 * candidate into a duplicate naming the others; nothing is written for it. Two changed
 * entries with one id both end so: the first by its search, the second by the planner.
 * Writes wait for the whole plan (the guard), so every search is done before the first.
 */
export const confirmAlone = (
  run: RunContext,
  decisions: ReadonlyArray<PageDecision>
): Effect.Effect<Array<PageDecision>, LdapConnectionError> =>
  Effect.forEach(decisions, (decision) =>
    decision._tag === "Ineligible" || decision._tag === "Duplicate" || decision._tag === "Held"
      ? Effect.succeed(decision)
      : Effect.map(othersClaiming(run, decision.candidate), (others): PageDecision =>
          others.length === 0
            ? decision
            : { _tag: "Duplicate", candidate: decision.candidate, others }
        )
  )
