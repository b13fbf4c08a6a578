import { Metric, MetricBoundaries } from "effect"

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

/**
 * Records one search request's duration as `operation`, synchronously: the search calls it
 * when the request settles, whatever its outcome, so no effect wraps each search.
 */
export const recorder = (operation: "lookup" | "page"): ((seconds: number) => void) => {
  // Tagged once: a tagged metric's key is hashed when made, and this runs per search.
  const duration = Metric.tagged(searchDuration, "operation", operation)
  return (seconds) => duration.unsafeUpdate(seconds, [])
}
