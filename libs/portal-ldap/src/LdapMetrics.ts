import { Effect, Metric, MetricBoundaries } from "effect"

/**
 * How long the Portal LDAP takes to answer a search, for `/metrics` and the CLI's textfile
 * (issue #12): `operation="lookup"` is one key lookup, `operation="page"` one page of a
 * full run's paged search.
 */
export const searchDuration = Metric.histogram(
  "dfo_writeback_ldap_search_duration_seconds",
  MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 16 }),
  "Time the Portal LDAP took to answer one search request (a key lookup or one page)"
)

/** Measures one search request, whatever its outcome, as `operation`. */
export const measured = (operation: "lookup" | "page") => {
  // Tagged once: a tagged metric's key is hashed when made, and this runs per search.
  const duration = Metric.tagged(searchDuration, "operation", operation)
  return <A, E, R>(search: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.suspend(() => {
      const start = performance.now()
      return Effect.ensuring(
        search,
        Effect.suspend(() => Metric.update(duration, (performance.now() - start) / 1000))
      )
    })
}
