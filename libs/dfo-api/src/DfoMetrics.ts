import { Effect, Exit, Metric, MetricBoundaries } from "effect"

/**
 * What the DFØ client measures, for `/metrics` and the CLI's textfile (issue #12).
 * Process-wide Effect metrics: every run of a server adds to the same series.
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

/** From 5 ms to about 41 s: DFØ answers one employee in tens of ms, the full list in seconds. */
export const requestDuration = Metric.histogram(
  "dfo_writeback_dfo_request_duration_seconds",
  MetricBoundaries.exponential({ start: 0.005, factor: 2, count: 14 }),
  "Time from sending a DFØ request to its complete answer (body included), by method"
)

/**
 * Measures one HTTP attempt: its duration, its status, and whether it is a retry; and
 * traces it as a `DfoEmployees.request` span, so a call's retries show in its trace.
 * Wraps the exchange only, not the wait for a rate-limit token.
 */
export const measured =
  (method: string, retry: boolean) =>
  <A extends { readonly status: number }, E, R>(
    attempt: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E, R> =>
    Effect.suspend(() => {
      const start = performance.now()
      return Effect.onExit(attempt, (exit) => {
        const seconds = (performance.now() - start) / 1000
        const status = Exit.isSuccess(exit) ? String(exit.value.status) : "none"
        return Effect.all(
          [
            Effect.annotateCurrentSpan("http.response.status_code", status),
            Metric.increment(
              Metric.tagged(Metric.tagged(requests, "method", method), "status", status)
            ),
            Metric.update(Metric.tagged(requestDuration, "method", method), seconds),
            retry ? Metric.increment(Metric.tagged(retries, "method", method)) : Effect.void
          ],
          { discard: true }
        )
      })
    }).pipe(
      Effect.withSpan("DfoEmployees.request", {
        kind: "client",
        attributes: { "http.request.method": method, retry }
      })
    )
