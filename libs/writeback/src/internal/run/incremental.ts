import type { LdapConnectionError, PageDecision, PortalUser } from "@dfo-writeback/domain"
import { Chunk, Effect, type Scope, Sink, Stream } from "effect"
import type { RunContext } from "./context.js"
import { othersClaimingEach } from "./planned.js"

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
 * Check 6a for the candidates an incremental run decided without seeing every claim: with
 * a few changed entries, every one that would be written or reported (no pass over the
 * directory's ids is made); with many, the held ones left alone in the window, whose id
 * the pass found claimed again outside it. The search is as broad as a single-user run's
 * (`othersClaiming`: rules 1–6 applied to the others), for up to 50 ids at once
 * (`othersClaimingEach`). Another claimant turns a candidate into a duplicate naming the
 * others, and a duplicate the planner found in the window learns of those outside it;
 * nothing is written for either. Writes wait for the whole plan (the guard), so every
 * search is done before the first write.
 */
export const confirmAlone = (
  run: RunContext,
  decisions: ReadonlyArray<PageDecision>
): Effect.Effect<Array<PageDecision>, LdapConnectionError> => {
  const open = decisions.flatMap((decision) =>
    decision._tag === "Ineligible" || decision._tag === "Held" ? [] : [decision.candidate]
  )
  if (open.length === 0) return Effect.succeed([...decisions])
  return Effect.map(othersClaimingEach(run, open), (othersOf) => {
    const found = new Map(open.map((candidate, i) => [candidate, othersOf[i] ?? []]))
    return decisions.map((decision): PageDecision => {
      if (decision._tag === "Ineligible" || decision._tag === "Held") return decision
      const searched = found.get(decision.candidate) ?? []
      // A duplicate the planner found names the claimants in the window; the search adds
      // those outside it.
      const others =
        decision._tag === "Duplicate" ? [...new Set([...decision.others, ...searched])] : searched
      return others.length === 0
        ? decision
        : { _tag: "Duplicate", candidate: decision.candidate, others }
    })
  })
}
