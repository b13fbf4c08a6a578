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

/** The counter a result lands in; a FAILED user counts by its error code. */
const counterOf = (result: UserResult): Exclude<keyof RunCounts, "total"> => {
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

/** Counts one more result. */
export const countResult = (counts: RunCounts, result: UserResult): RunCounts => {
  const counter = counterOf(result)
  return { ...counts, total: counts.total + 1, [counter]: counts[counter] + 1 }
}

/** `total = skipped + unchanged + updated + would_update + update_failed + fetch_failed`. */
export const countsAddUp = (c: RunCounts): boolean =>
  c.total === c.skipped + c.unchanged + c.updated + c.wouldUpdate + c.updateFailed + c.fetchFailed

/** Counts one more result by its skip reason; other outcomes leave the counts as they are. */
export const countSkip = (counts: SkipCounts, result: UserResult): SkipCounts =>
  result.skipReason === undefined
    ? counts
    : { ...counts, [result.skipReason]: (counts[result.skipReason] ?? 0) + 1 }
