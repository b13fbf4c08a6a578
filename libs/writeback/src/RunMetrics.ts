import {
  ErrorCode,
  Outcome,
  type RunError,
  type RunSummary,
  SkipReason,
  type WritebackEvent,
  type WritebackRequest
} from "@dfo-writeback/domain"
import { Cause, Effect, Exit, FiberId, Metric, MetricBoundaries, Option, Stream } from "effect"

/**
 * Runs and users as `/metrics` and the CLI's textfile show them (issue #12), measured from
 * a run's event stream around the program (`RunTelemetry.instrument`), not inside it, as
 * the clients' own metrics live beside them (`DfoMetrics`, `LdapMetrics`).
 * Process-wide Effect metrics: every run of a server adds to the same series. Every series
 * an alert reads exists at 0 from the start (`zeros`): `increase()` sees nothing of a
 * series whose first sample is already 1 (issue #20).
 */

/** One user (`single`), every user (`all`, a full run) or a reviewed plan (`apply`). */
export const runKinds = ["single", "all", "apply"] as const
export type RunKind = (typeof runKinds)[number]

/** The kind of a run of `request`; an applied plan is named by the caller. */
export const kindOf = (request: WritebackRequest): RunKind =>
  request._tag === "AllUsers" ? "all" : "single"

/** Finished runs by `kind` and `result`; failed runs also carry `code`. */
export const runs = Metric.counter("dfo_writeback_runs", {
  description:
    "Writeback runs by kind (single, all, apply) and result (done, user_failed, aborted, failed, cancelled)",
  incremental: true
})

/** Aborted runs by `kind` and `reason` (`AbortReason`: a kind of cause, never a value). */
export const aborts = Metric.counter("dfo_writeback_run_aborts", {
  description:
    "Aborted writeback runs by kind and reason (key_refused, dfo_unreachable, consecutive_failures, interrupted, lease_lost, other)",
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

/** The last full run that may write (not `log_only`): when it ended, how, and its users. */
export const lastFullRunTimestamp = Metric.gauge("dfo_writeback_last_full_run_timestamp_seconds", {
  description: "End of the last full writeback run (not a dry run), whatever its result"
})

/** 1 for the last full run's `result`, 0 for every other: alerts need no `increase()`. */
export const lastFullRunResult = Metric.gauge("dfo_writeback_last_full_run_result", {
  description: "1 for the result of the last full writeback run (not a dry run), 0 for the others"
})

/** 1 for the reason the last full run aborted, 0 for every other (all 0 when it did not). */
export const lastFullRunAbortReason = Metric.gauge("dfo_writeback_last_full_run_abort_reason", {
  description: "1 for the reason the last full writeback run aborted, 0 for the others"
})

/** The last full run's users by `outcome`. */
export const lastFullRunUsers = Metric.gauge("dfo_writeback_last_full_run_users", {
  description: "Users of the last full writeback run (not a dry run), by outcome"
})

/** How a run ended, as the `result` label says it. */
export const runResults = ["done", "user_failed", "aborted", "failed", "cancelled"] as const
export type RunResult = (typeof runResults)[number]

/** A run-level error's code: listed as a record, so a new RunError fails to compile here. */
const runErrorCodes: Record<RunError["code"], null> = {
  LDAP_CONNECTION_FAILED: null,
  NOT_FOUND: null,
  AMBIGUOUS_KEY: null,
  INVALID_REQUEST: null,
  MASS_UPDATE_GUARD: null
}

/** Why a run aborted, as the `reason` label says it. */
export const abortReasons = [
  "key_refused",
  "dfo_unreachable",
  "consecutive_failures",
  "interrupted",
  "lease_lost",
  "other"
] as const
export type AbortReason = (typeof abortReasons)[number]

/** The kind of an `abort_reason` text (CONTRACT §3, §4, §7). */
export const abortReasonOf = (text: string): AbortReason =>
  text.startsWith("DFØ refused")
    ? "key_refused"
    : text.startsWith("DFØ unreachable")
      ? "dfo_unreachable"
      : text.startsWith("stopped after")
        ? "consecutive_failures"
        : text.startsWith("interrupted")
          ? "interrupted"
          : text.startsWith("LEASE_LOST")
            ? "lease_lost"
            : "other"

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
const userCounter = (outcome: Outcome, reason: string | undefined) => {
  const key = `${outcome}/${reason ?? ""}`
  let counter = userCounters.get(key)
  if (counter === undefined) {
    const byOutcome = Metric.tagged(users, "outcome", outcome)
    counter = reason === undefined ? byOutcome : Metric.tagged(byOutcome, "reason", reason)
    userCounters.set(key, counter)
  }
  return counter
}

const runCounter = (kind: RunKind, result: RunResult, code: string | undefined) => {
  const byResult = Metric.tagged(Metric.tagged(runs, "kind", kind), "result", result)
  return code === undefined ? byResult : Metric.tagged(byResult, "code", code)
}

const abortCounter = (kind: RunKind, reason: AbortReason) =>
  Metric.tagged(Metric.tagged(aborts, "kind", kind), "reason", reason)

/** Every (outcome, reason) pair a user result can carry. */
const userSeries: ReadonlyArray<readonly [Outcome, string | undefined]> = Outcome.literals.flatMap(
  (outcome): ReadonlyArray<readonly [Outcome, string | undefined]> =>
    outcome === "SKIPPED"
      ? SkipReason.literals.map((reason) => [outcome, reason] as const)
      : outcome === "FAILED"
        ? ErrorCode.literals.map((reason) => [outcome, reason] as const)
        : [[outcome, undefined] as const]
)

/**
 * Every run, abort and user series at 0, and the last full run's result, abort reason and
 * users at 0: run once at start-up, so the first failure of a process is an increase from
 * 0 and a textfile holds every series.
 */
export const zeros: Effect.Effect<void> = Effect.sync(() => {
  for (const kind of runKinds) {
    for (const result of runResults) runCounter(kind, result, undefined).unsafeUpdate(0, [])
    for (const code of Object.keys(runErrorCodes)) {
      runCounter(kind, "failed", code).unsafeUpdate(0, [])
    }
    for (const reason of abortReasons) abortCounter(kind, reason).unsafeUpdate(0, [])
  }
  for (const [outcome, reason] of userSeries) userCounter(outcome, reason).unsafeUpdate(0, [])
  for (const result of runResults) {
    Metric.tagged(lastFullRunResult, "result", result).unsafeUpdate(0, [])
  }
  for (const reason of abortReasons) {
    Metric.tagged(lastFullRunAbortReason, "reason", reason).unsafeUpdate(0, [])
  }
  for (const outcome of Outcome.literals) {
    Metric.tagged(lastFullRunUsers, "outcome", outcome).unsafeUpdate(0, [])
  }
})

/** The last full run's gauges: one value per label, so each says 1 or 0 (or a count). */
const recordFullRun = (
  result: RunResult,
  abortReason: AbortReason | undefined,
  byOutcome: ReadonlyMap<Outcome, number>
) =>
  Effect.sync(() => {
    lastFullRunTimestamp.unsafeUpdate(Date.now() / 1000, [])
    for (const each of runResults) {
      Metric.tagged(lastFullRunResult, "result", each).unsafeUpdate(each === result ? 1 : 0, [])
    }
    for (const each of abortReasons) {
      Metric.tagged(lastFullRunAbortReason, "reason", each).unsafeUpdate(
        each === abortReason ? 1 : 0,
        []
      )
    }
    for (const outcome of Outcome.literals) {
      Metric.tagged(lastFullRunUsers, "outcome", outcome).unsafeUpdate(
        byOutcome.get(outcome) ?? 0,
        []
      )
    }
  })

/** What a run has shown so far, and how it counts its metrics (`track`, `trackEach`). */
interface Tracker {
  /** Counts a run's events as they pass: one update per outcome and reason in `events`. */
  readonly see: (events: Iterable<WritebackEvent>) => void
  /** The run's own series, once it has ended, however it ended. */
  readonly finished: (exit: Exit.Exit<unknown, RunError>) => Effect.Effect<void>
}

const tracker = (request: WritebackRequest, kind: RunKind): Tracker => {
  const startedAt = performance.now()
  let summary: RunSummary | undefined
  let readOnly = false
  let userFailed = false
  const byOutcome = new Map<Outcome, number>()
  return {
    see: (events) => {
      const counted = new Map<Metric.Metric.Counter<number>, number>()
      for (const event of events) {
        switch (event._tag) {
          case "RunStarted":
            readOnly = event.readOnly
            break
          case "UserResult": {
            if (event.outcome === "FAILED") userFailed = true
            byOutcome.set(event.outcome, (byOutcome.get(event.outcome) ?? 0) + 1)
            const counter = userCounter(event.outcome, event.skipReason ?? event.errorCode)
            counted.set(counter, (counted.get(counter) ?? 0) + 1)
            break
          }
          case "RunSummary":
            summary = event
            break
        }
      }
      for (const [counter, n] of counted) counter.unsafeUpdate(n, [])
    },
    finished: (exit) =>
      Effect.suspend(() => {
        const { result, code } = resultOf(exit, summary, userFailed)
        const abortReason =
          result === "aborted" ? abortReasonOf(summary?.abortReason ?? "") : undefined
        const fullRun = kind === "all" && !request.logOnly
        const success = fullRun && !readOnly && (result === "done" || result === "user_failed")
        return Effect.all(
          [
            Metric.increment(runCounter(kind, result, code)),
            abortReason === undefined
              ? Effect.void
              : Metric.increment(abortCounter(kind, abortReason)),
            Metric.update(
              Metric.tagged(runDuration, "kind", kind),
              (performance.now() - startedAt) / 1000
            ),
            fullRun ? recordFullRun(result, abortReason, byOutcome) : Effect.void,
            success ? Metric.set(lastSuccessfulFullRun, Date.now() / 1000) : Effect.void
          ],
          { discard: true }
        )
      })
  }
}

/**
 * Counts a run's users as their results pass and the run itself when its stream ends,
 * however it ends. Only a full run (`kind` `all`) that may write moves the full-run
 * figures: a single-user run or an applied plan never hides a failed night (issue #20);
 * `lastSuccessfulFullRun` also needs a run that could write and did not abort. The events
 * pass unchanged.
 */
export const track =
  (request: WritebackRequest, kind: RunKind = kindOf(request)) =>
  <R>(
    events: Stream.Stream<WritebackEvent, RunError, R>
  ): Stream.Stream<WritebackEvent, RunError, R> =>
    Stream.suspend(() => {
      const counting = tracker(request, kind)
      return events.pipe(
        // Counted as the chunks pass, so a scrape during a long run sees its progress; one
        // update per outcome and reason in a chunk (a page of the directory), not per user.
        Stream.mapChunks((chunk) => {
          counting.see(chunk)
          return chunk
        }),
        Stream.ensuringWith(counting.finished)
      )
    })

/**
 * `track` for a run that hands its events to `emit` one by one
 * (`Writeback.Service.runSingle`): `run` is given `emit` with the counting around it. A
 * failure of `emit` itself (the caller's) counts as in a stream, where the consumer's
 * failure interrupts the run: `cancelled`.
 */
export const trackEach = <A, E, R>(
  request: WritebackRequest,
  emit: (event: WritebackEvent) => Effect.Effect<void, E, R>,
  run: (
    emit: (event: WritebackEvent) => Effect.Effect<void, E, R>
  ) => Effect.Effect<A, RunError | E, R>
): Effect.Effect<A, RunError | E, R> =>
  Effect.suspend(() => {
    const counting = tracker(request, kindOf(request))
    let consumerFailed = false
    const counted = (event: WritebackEvent) => {
      counting.see([event])
      return Effect.tapError(emit(event), () =>
        Effect.sync(() => {
          consumerFailed = true
        })
      )
    }
    return Effect.onExit(run(counted), (exit) =>
      counting.finished(
        Exit.isFailure(exit) && consumerFailed
          ? Exit.interrupt(FiberId.none)
          : // Only `emit` fails with `E`: while it has not, a failure is the run's own.
            (exit as Exit.Exit<A, RunError>)
      )
    )
  })
