import type {
  RunError,
  RunSummary,
  UserResult,
  WritebackEvent,
  WritebackRequest
} from "@dfo-writeback/domain"
import { Cause, Effect, Exit, Metric, MetricBoundaries, Option, Stream } from "effect"

/**
 * Runs and users as `/metrics` and the CLI's textfile show them (issue #12), measured from
 * a run's event stream at the edge, so the program itself stays free of metrics.
 * Process-wide Effect metrics: every run of a server adds to the same series.
 */

/** Finished runs by `kind` (`single`, `all`) and `result`; failed runs also carry `code`. */
export const runs = Metric.counter("dfo_writeback_runs", {
  description:
    "Writeback runs by kind (single, all) and result (done, user_failed, aborted, failed, cancelled)",
  incremental: true
})

/** Examined users by `outcome`, and `reason` (the skip reason or error code) when there is one. */
export const users = Metric.counter("dfo_writeback_users", {
  description: "Users examined, by outcome and skip reason or error code",
  incremental: true
})

/** From 50 ms to about 3.6 h. */
export const runDuration = Metric.histogram(
  "dfo_writeback_run_duration_seconds",
  MetricBoundaries.exponential({ start: 0.05, factor: 2, count: 18 }),
  "Duration of writeback runs, by kind"
)

export const lastSuccessfulFullRunName = "dfo_writeback_last_successful_full_run_timestamp_seconds"

/**
 * When the last full run that could write ended without aborting (some users may have
 * failed), in seconds since the epoch. Absent until one has: dry runs and SAP_READ_ONLY
 * runs never set it.
 */
export const lastSuccessfulFullRun = Metric.gauge(
  // Named apart: the CLI reads it back from its previous textfile.
  lastSuccessfulFullRunName,
  { description: "End of the last full writeback run that completed (not aborted, not a dry run)" }
)

/** How a run ended, as the `result` label says it. */
export type RunResult = "done" | "user_failed" | "aborted" | "failed" | "cancelled"

export const resultOf = (
  exit: Exit.Exit<unknown, RunError>,
  summary: RunSummary | undefined,
  userFailed: boolean
): { readonly result: RunResult; readonly code?: string } => {
  if (Exit.isFailure(exit)) {
    const error = Cause.failureOption(exit.cause)
    if (Option.isSome(error)) return { result: "failed", code: error.value.code }
    return Cause.isInterruptedOnly(exit.cause) ? { result: "cancelled" } : { result: "failed" }
  }
  if (summary === undefined) return { result: "cancelled" }
  if (summary.aborted) return { result: "aborted" }
  return { result: userFailed ? "user_failed" : "done" }
}

/** One counter per outcome and reason, tagged once: a full run counts tens of thousands. */
const userCounters = new Map<string, Metric.Metric.Counter<number>>()
const userCounter = (result: UserResult) => {
  const reason = result.skipReason ?? result.errorCode
  const key = `${result.outcome}/${reason ?? ""}`
  let counter = userCounters.get(key)
  if (counter === undefined) {
    const byOutcome = Metric.tagged(users, "outcome", result.outcome)
    counter = reason === undefined ? byOutcome : Metric.tagged(byOutcome, "reason", reason)
    userCounters.set(key, counter)
  }
  return counter
}

/**
 * Counts a run's users as their results pass and the run itself when its stream ends,
 * however it ends; sets `lastSuccessfulFullRun` after a completed full run that could write.
 * The events pass unchanged.
 */
export const track =
  (request: WritebackRequest) =>
  <R>(
    events: Stream.Stream<WritebackEvent, RunError, R>
  ): Stream.Stream<WritebackEvent, RunError, R> =>
    Stream.suspend(() => {
      const kind = request._tag === "AllUsers" ? "all" : "single"
      const startedAt = performance.now()
      let summary: RunSummary | undefined
      let readOnly = false
      let userFailed = false
      const finished = (exit: Exit.Exit<unknown, RunError>) =>
        Effect.suspend(() => {
          const { result, code } = resultOf(exit, summary, userFailed)
          const byKind = Metric.tagged(runs, "kind", kind)
          const byResult = Metric.tagged(byKind, "result", result)
          const canWrite = !request.logOnly && !readOnly
          const success =
            kind === "all" && canWrite && (result === "done" || result === "user_failed")
          return Effect.all(
            [
              Metric.increment(
                code === undefined ? byResult : Metric.tagged(byResult, "code", code)
              ),
              Metric.update(
                Metric.tagged(runDuration, "kind", kind),
                (performance.now() - startedAt) / 1000
              ),
              success ? Metric.set(lastSuccessfulFullRun, Date.now() / 1000) : Effect.void
            ],
            { discard: true }
          )
        })
      return events.pipe(
        // Counted as the chunks pass, so a scrape during a long run sees its progress; one
        // update per outcome and reason in a chunk (a page of the directory), not per user.
        Stream.mapChunks((chunk) => {
          const counted = new Map<Metric.Metric.Counter<number>, number>()
          for (const event of chunk) {
            switch (event._tag) {
              case "RunStarted":
                readOnly = event.readOnly
                break
              case "UserResult": {
                if (event.outcome === "FAILED") userFailed = true
                const counter = userCounter(event)
                counted.set(counter, (counted.get(counter) ?? 0) + 1)
                break
              }
              case "RunSummary":
                summary = event
                break
            }
          }
          for (const [counter, n] of counted) counter.unsafeUpdate(n, [])
          return chunk
        }),
        Stream.ensuringWith(finished)
      )
    })
