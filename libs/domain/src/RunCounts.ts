import type { RunCounts, SkipReason, UserResult } from "./WritebackEvent.js"

/** Skipped users by reason; a reason that never occurred is absent. */
export type SkipCounts = { readonly [R in SkipReason]?: number }

export const emptyCounts: RunCounts = {
  total: 0,
  skipped: 0,
  unchanged: 0,
  updated: 0,
  wouldUpdate: 0,
  updateFailed: 0,
  fetchFailed: 0
}

/** What counting reads of a result. */
export type Counted = Pick<UserResult, "outcome" | "errorCode" | "skipReason">

/** The counter a result lands in; a FAILED user counts by its error code. */
const counterOf = (result: Counted): Exclude<keyof RunCounts, "total"> => {
  switch (result.outcome) {
    case "SKIPPED":
      return "skipped"
    case "UNCHANGED":
      return "unchanged"
    case "UPDATED":
      return "updated"
    case "WOULD_UPDATE":
      return "wouldUpdate"
    case "FAILED":
      return result.errorCode === "SAP_UPDATE_FAILED" ? "updateFailed" : "fetchFailed"
  }
}

const addResult = (counts: RunCounts, result: Counted, n: 1 | -1): RunCounts => {
  const counter = counterOf(result)
  return { ...counts, total: counts.total + n, [counter]: counts[counter] + n }
}

/** Counts one more result. */
export const countResult = (counts: RunCounts, result: Counted): RunCounts =>
  addResult(counts, result, 1)

/** Takes back a result counted before: a full run's result that a later claim made a duplicate. */
export const uncountResult = (counts: RunCounts, result: Counted): RunCounts =>
  addResult(counts, result, -1)

/** `total = skipped + unchanged + updated + would_update + update_failed + fetch_failed`. */
export const countsAddUp = (c: RunCounts): boolean =>
  c.total === c.skipped + c.unchanged + c.updated + c.wouldUpdate + c.updateFailed + c.fetchFailed

/** Counts one more result by its skip reason; other outcomes leave the counts as they are. */
export const countSkip = (counts: SkipCounts, result: Counted): SkipCounts =>
  result.skipReason === undefined
    ? counts
    : { ...counts, [result.skipReason]: (counts[result.skipReason] ?? 0) + 1 }

/** Takes back a skip counted before; a reason left with none is absent again. */
export const uncountSkip = (counts: SkipCounts, result: Counted): SkipCounts => {
  const reason = result.skipReason
  if (reason === undefined) return counts
  const { [reason]: n = 0, ...rest } = counts
  return n > 1 ? { ...rest, [reason]: n - 1 } : rest
}
