import {
  countResult,
  countSkip,
  type DfoRequestCounts,
  emptyCounts,
  type RunCounts,
  RunSummary,
  type SkipCounts,
  type UserResult,
  type WritebackEvent
} from "@dfo-writeback/domain"
import type { Writeback } from "@dfo-writeback/writeback"
import { Chunk } from "effect"
import type * as CutWrites from "./CutWrites.js"

/**
 * What the CLI knows of a run, as a pure fold over what it sees: the program's events,
 * the total once the program tells it, and the writes a cut left without an outcome.
 */
export type Event =
  | WritebackEvent
  /** The run examines `users` users; told at `at` (epoch ms), with its counts then. */
  | {
      readonly _tag: "Total"
      readonly users: number
      readonly at: number
      readonly counted: Writeback.Counted | undefined
    }
  /** What a full run has counted so far, read from it (`RunOptions.onCounts`). */
  | { readonly _tag: "Counted"; readonly counted: Writeback.Counted }
  /** The run was cut short with these writes in flight. */
  | { readonly _tag: "Cut"; readonly writes: ReadonlyArray<CutWrites.Write> }

export interface Total {
  readonly users: number
  readonly at: number
  /** Users examined when the total came: the estimate reads the pace since. */
  readonly examinedThen: number
}

export interface View {
  readonly runId: string
  /** Counted from the results seen. */
  readonly counts: RunCounts
  readonly skips: SkipCounts
  /**
   * A full run's own counts as last read: they also count the users that sent no result
   * (UNCHANGED ones under `count`, results held back), so progress and a cut summary
   * take them over those of the results seen.
   */
  readonly counted: Writeback.Counted | undefined
  readonly total: Total | undefined
  readonly summary: RunSummary | undefined
  /** The results a command shows at its end (`plan`, `report`); no other is kept. */
  readonly kept: Chunk.Chunk<UserResult>
  /** Writes cut mid-request: counted as failed updates, their outcome unknown. */
  readonly unknown: ReadonlyArray<CutWrites.Write>
}

export const initial: View = {
  runId: "",
  counts: emptyCounts,
  skips: {},
  counted: undefined,
  total: undefined,
  summary: undefined,
  kept: Chunk.empty(),
  unknown: []
}

/** What the run has counted: its own counts once read, else those of the results seen. */
export const countsOf = (view: View): Writeback.Counted =>
  view.counted ?? { counts: view.counts, skips: view.skips }

/** Keeps no result: `run` and `apply` show each as it comes. */
export const keepNone = (_result: UserResult): boolean => false

/** One step of the fold; `keep` says which results the command needs at its end. */
export const step =
  (keep: (result: UserResult) => boolean) =>
  (view: View, event: Event): View => {
    switch (event._tag) {
      case "RunStarted":
        return { ...view, runId: event.runId }
      case "UserResult":
        return {
          ...view,
          counts: countResult(view.counts, event),
          skips: countSkip(view.skips, event),
          kept: keep(event) ? Chunk.append(view.kept, event) : view.kept
        }
      case "RunSummary":
        return { ...view, summary: event }
      case "Counted":
        return { ...view, counted: event.counted }
      case "Total": {
        if (view.total !== undefined) return view
        const counted = event.counted ?? view.counted
        const examinedThen = countsOf({ ...view, counted }).counts.total
        return { ...view, counted, total: { users: event.users, at: event.at, examinedThen } }
      }
      case "Cut": {
        const cut = (counts: RunCounts): RunCounts => ({
          ...counts,
          total: counts.total + event.writes.length,
          updateFailed: counts.updateFailed + event.writes.length
        })
        return {
          ...view,
          counts: cut(view.counts),
          counted:
            view.counted === undefined
              ? undefined
              : { ...view.counted, counts: cut(view.counted.counts) },
          unknown: [...view.unknown, ...event.writes]
        }
      }
    }
  }

export const interruptedReason = (unknown: number) =>
  unknown === 0
    ? "interrupted: the run was cut short with no write in flight"
    : `interrupted: ${unknown} ${unknown === 1 ? "write" : "writes"} still in flight ` +
      `${unknown === 1 ? "was" : "were"} cut; ${unknown === 1 ? "its" : "their"} outcome is ` +
      "unknown, counted as failed updates (check DFØ for the employees listed; run again: " +
      "only what still differs is written)"

/**
 * The summary of a run cut short, which sent none: what the view counted, the writes cut
 * counted as failed updates, and what DFØ was asked.
 */
export const cutSummary = (
  view: View,
  run: DfoRequestCounts & {
    readonly logOnly: boolean
    readonly durationMs: number
    readonly caller: string
  }
): RunSummary => {
  const { counts, skips } = countsOf(view)
  return new RunSummary({
    runId: view.runId,
    ...counts,
    skippedByReason: skips,
    dfoRequests: run.dfoRequests,
    dfoRetries: run.dfoRetries,
    dfoRateLimited: run.dfoRateLimited,
    logOnly: run.logOnly,
    aborted: true,
    abortReason: interruptedReason(view.unknown.length),
    durationMs: run.durationMs,
    caller: run.caller
  })
}
