import { RunSummary } from "@dfo-writeback/domain"
import { Clock, Effect } from "effect"
import type { UserContext } from "./context.js"
import type { LedgerState } from "./ledger.js"

/**
 * The summary stage: the run's counts as its last event, and one `summary` log line with
 * the same figures: at error level when the run aborted or a user failed.
 */
export const summarize = (
  run: UserContext,
  { counts, skips, abortReason }: LedgerState,
  { startedAt, logOnly }: { readonly startedAt: number; readonly logOnly: boolean }
): Effect.Effect<RunSummary> =>
  Effect.gen(function* () {
    const durationMs = (yield* Clock.currentTimeMillis) - startedAt
    const { tally, caller } = run
    // Typed values only: the class's validation would repeat the compiler's (14 µs a run).
    const summary = new RunSummary(
      {
        runId: run.runId,
        ...counts,
        skippedByReason: skips,
        dfoRequests: tally.requests,
        dfoRetries: tally.retries,
        dfoRateLimited: tally.rateLimited,
        logOnly,
        aborted: abortReason !== undefined,
        abortReason: abortReason ?? "",
        durationMs,
        caller
      },
      true
    )
    // Alerts watch error-level lines: an aborted night, or one with failed users, must be one.
    const failed = counts.updateFailed + counts.fetchFailed > 0
    const log = abortReason !== undefined || failed ? Effect.logError : Effect.logInfo
    yield* run.annotate(
      log(abortReason === undefined ? "run finished" : "run aborted").pipe(
        Effect.annotateLogs({
          summary: true,
          total: counts.total,
          skipped: counts.skipped,
          unchanged: counts.unchanged,
          updated: counts.updated,
          would_update: counts.wouldUpdate,
          update_failed: counts.updateFailed,
          fetch_failed: counts.fetchFailed,
          skipped_by_reason: skips,
          dfo_requests: tally.requests,
          dfo_retries: tally.retries,
          dfo_rate_limited: tally.rateLimited,
          caller,
          aborted: summary.aborted,
          abort_reason: summary.abortReason,
          duration_ms: durationMs
        })
      )
    )
    return summary
  })
