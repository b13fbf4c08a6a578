import { Effect, Exit, Metric, MetricBoundaries, MetricLabel, MetricState } from "effect"

/**
 * What the DFØ client measures, for `/metrics`, the CLI's textfile (issue #12) and the
 * benchmarks. Process-wide Effect metrics: every client and every run of a server adds to
 * the same series.
 */

/** HTTP attempts by method and status; `status="none"` when no answer came (timeout, reset). */
export const requests = Metric.counter("dfo_writeback_dfo_requests", {
  description: "HTTP requests sent to DFØ, retries included, by method and answer status",
  incremental: true
})

/** Attempts after the first of a call. */
export const retries = Metric.counter("dfo_writeback_dfo_retries", {
  description: "DFØ requests that repeated an earlier attempt (429, 502-504, timeouts, resets)",
  incremental: true
})

/** Calls (a read with its retries, or one write) that ended in an error, by method. */
export const failures = Metric.counter("dfo_writeback_dfo_failures", {
  description: "DFØ calls that failed, after their retries, by method",
  incremental: true
})

/** `429` answers of reads and writes, by method. */
export const rateLimited = Metric.counter("dfo_writeback_dfo_rate_limited", {
  description: "DFØ requests the gateway refused for its rate limit (429), by method",
  incremental: true
})

/** Attempts of reads and writes that hit the per-attempt timeout, by method. */
export const timeouts = Metric.counter("dfo_writeback_dfo_timeouts", {
  description: "DFØ requests with no complete answer within SAP_TIMEOUT_MS, by method",
  incremental: true
})

/** From 5 ms to about 41 s: DFØ answers one employee in tens of ms, the full list in seconds. */
export const requestDuration = Metric.histogram(
  "dfo_writeback_dfo_request_duration_seconds",
  MetricBoundaries.exponential({ start: 0.005, factor: 2, count: 14 }),
  "Time from sending a DFØ request to its complete answer (body included), by method"
)

/*
 * Updated synchronously, each series' labels one array made once: `Metric.tagged` builds
 * new labels, and so a registry lookup, on every update. Measured: a metric update and a
 * span as effects cost 75 µs a request at 8 in flight.
 */
const labelCache = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
const labels = (method: string, status?: string): ReadonlyArray<MetricLabel.MetricLabel> => {
  const key = status === undefined ? method : `${method} ${status}`
  let found = labelCache.get(key)
  if (found === undefined) {
    found =
      status === undefined
        ? [MetricLabel.make("method", method)]
        : [MetricLabel.make("method", method), MetricLabel.make("status", status)]
    labelCache.set(key, found)
  }
  return found
}

/** Counts a call that ended in an error. */
export const countFailure = (method: string): void => failures.unsafeUpdate(1, labels(method))

/** Counts a `429`. */
export const countRateLimited = (method: string): void =>
  rateLimited.unsafeUpdate(1, labels(method))

/** Counts an attempt that timed out. */
export const countTimeout = (method: string): void => timeouts.unsafeUpdate(1, labels(method))

/**
 * Records one HTTP attempt: its status (`"none"` when no answer came; an answer refused
 * after it came, e.g. as too large, still counts its status), its duration, and whether
 * it repeated an earlier attempt.
 */
export const recordAttempt = (
  method: string,
  status: string,
  seconds: number,
  retry: boolean
): void => {
  requests.unsafeUpdate(1, labels(method, status))
  requestDuration.unsafeUpdate(seconds, labels(method))
  if (retry) retries.unsafeUpdate(1, labels(method))
}

/**
 * The 429 series of every method at 0, before the first request: an alert's `increase()`
 * sees nothing of a series whose first sample is already above 0 (issue #20).
 */
export const zeros: Effect.Effect<void> = Effect.sync(() => {
  for (const method of ["GET", "PUT", "PATCH"]) rateLimited.unsafeUpdate(0, labels(method))
})

const statusOf = <A extends { readonly status: number }, E>(exit: Exit.Exit<A, E>): string => {
  if (Exit.isSuccess(exit)) return String(exit.value.status)
  const failure = exit.cause._tag === "Fail" ? (exit.cause.error as { status?: unknown }) : {}
  return typeof failure.status === "number" ? String(failure.status) : "none"
}

/**
 * Measures one attempt of a long call (the list) with `recordAttempt`, and traces it as a
 * `DfoEmployees.request` span, so the list's retries show in its trace. Wraps the
 * exchange only, not the wait for a rate-limit token.
 */
export const measured =
  (method: string, retry: boolean) =>
  <A extends { readonly status: number }, E, R>(
    attempt: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E, R> =>
    Effect.suspend(() => {
      const start = performance.now()
      return Effect.onExit(attempt, (exit) => {
        const status = statusOf(exit)
        recordAttempt(method, status, (performance.now() - start) / 1000, retry)
        return Effect.annotateCurrentSpan("http.response.status_code", status)
      })
    }).pipe(
      Effect.withSpan("DfoEmployees.request", {
        kind: "client",
        attributes: { "http.request.method": method, retry },
        captureStackTrace: false
      })
    )

/** The client's counters summed over their labels, since the process started. */
export interface DfoTotals {
  /** HTTP attempts by method, retries included. */
  readonly requests: { readonly GET: number; readonly PUT: number; readonly PATCH: number }
  readonly retries: number
  readonly failures: number
  readonly rateLimited: number
  readonly timeouts: number
}

const counterNames = {
  retries: "dfo_writeback_dfo_retries",
  failures: "dfo_writeback_dfo_failures",
  rateLimited: "dfo_writeback_dfo_rate_limited",
  timeouts: "dfo_writeback_dfo_timeouts"
} as const

/** Reads every series of the client's counters (benchmarks, tests: deltas of these). */
export const totals: Effect.Effect<DfoTotals> = Effect.map(Metric.snapshot, (pairs) => {
  const requestsBy = { GET: 0, PUT: 0, PATCH: 0 }
  const sums = { retries: 0, failures: 0, rateLimited: 0, timeouts: 0 }
  for (const { metricKey, metricState } of pairs) {
    if (!MetricState.isCounterState(metricState)) continue
    const count = Number(metricState.count)
    if (metricKey.name === "dfo_writeback_dfo_requests") {
      const method = metricKey.tags.find((tag) => tag.key === "method")?.value
      if (method === "GET" || method === "PUT" || method === "PATCH") requestsBy[method] += count
      continue
    }
    for (const field of Object.keys(counterNames) as Array<keyof typeof counterNames>) {
      if (metricKey.name === counterNames[field]) sums[field] += count
    }
  }
  return { requests: requestsBy, ...sums }
})
