import {
  type Counted,
  countResult,
  countSkip,
  emptyCounts,
  type RunCounts,
  type SkipCounts,
  uncountResult,
  uncountSkip,
  type UserResult
} from "@dfo-writeback/domain"
import { Effect, Ref } from "effect"

/** What a run has decided so far: its counts, its failure streak, why it stopped. */
export interface LedgerState {
  readonly counts: RunCounts
  readonly skips: SkipCounts
  /** DFØ failures in a row; a result that proves DFØ answered resets it. */
  readonly consecutiveFailures: number
  /** Why no further users are started; the first reason given wins. */
  readonly abortReason: string | undefined
}

export const emptyLedger: LedgerState = {
  counts: emptyCounts,
  skips: {},
  consecutiveFailures: 0,
  abortReason: undefined
}

/** A failed user as the ledger saw it: `tripped` when it was the one failure too many. */
export interface Failure {
  readonly result: UserResult
  readonly tripped: string | undefined
}

/** Results that prove DFØ answered; a skip before any DFØ call proves nothing. */
const reachedDfo = (result: UserResult) =>
  result.outcome !== "FAILED" &&
  (result.outcome !== "SKIPPED" || result.skipReason === "NOT_IN_SAP")

/** Stops the run with `reason`, unless it already stopped. */
export const abort = (state: LedgerState, reason: string): LedgerState =>
  state.abortReason === undefined ? { ...state, abortReason: reason } : state

/** One success or failure for the consecutive-failure rule (CONTRACT §4). */
export const noteOutcome = (
  state: LedgerState,
  result: UserResult,
  abortAfter: number
): [LedgerState, Failure | undefined] => {
  if (result.outcome !== "FAILED") {
    return [reachedDfo(result) ? { ...state, consecutiveFailures: 0 } : state, undefined]
  }
  const consecutiveFailures = state.consecutiveFailures + 1
  const next = { ...state, consecutiveFailures }
  if (state.abortReason !== undefined || consecutiveFailures < abortAfter) {
    return [next, { result, tripped: undefined }]
  }
  const reason =
    `stopped after ${consecutiveFailures} consecutive DFØ failures ` +
    `(SAP_ABORT_AFTER_CONSECUTIVE_FAILURES=${abortAfter}); last: ${result.message}`
  return [abort(next, reason), { result, tripped: reason }]
}

/** Counts one finished user, skips by reason, and its part in the failure streak. */
export const record = (
  state: LedgerState,
  result: UserResult,
  abortAfter: number
): [LedgerState, Failure | undefined] =>
  noteOutcome(
    {
      ...state,
      counts: countResult(state.counts, result),
      skips: countSkip(state.skips, result)
    },
    result,
    abortAfter
  )

/** What one user's work may ask of its run: stop it, or whether it still runs. */
export interface Stop {
  /** Stops the run: no new users are started, no write is retried. The first reason wins. */
  readonly abort: (reason: string) => Effect.Effect<void>
  readonly running: Effect.Effect<boolean>
}

/** A single-user run's stop: why it stopped, if it did; nothing to count but one user. */
export interface StopCell extends Stop {
  readonly reason: Effect.Effect<string | undefined>
}

export const makeStop: Effect.Effect<StopCell> = Effect.map(
  Ref.make<string | undefined>(undefined),
  (ref) => ({
    abort: (reason) => Ref.update(ref, (first) => first ?? reason),
    running: Effect.map(Ref.get(ref), (reason) => reason === undefined),
    reason: Ref.get(ref)
  })
)

/** An UNCHANGED user counted without a result (`unchangedResults: "count"`). */
export const unchanged: Counted = { outcome: "UNCHANGED" }

/** Counts `n` UNCHANGED users as `record` would count their results. */
export const recordUnchanged = (state: LedgerState, n: number): LedgerState =>
  n === 0
    ? state
    : {
        ...state,
        counts: {
          ...state.counts,
          total: state.counts.total + n,
          unchanged: state.counts.unchanged + n
        },
        // An UNCHANGED user proves DFØ answered (`reachedDfo`).
        consecutiveFailures: 0
      }

/**
 * A result counted before that turned out to be `to` (a full run's claimant of an id
 * claimed again later): the counters move, the failure streak stays as it was.
 */
export const reclassify = (state: LedgerState, from: Counted, to: UserResult): LedgerState => ({
  ...state,
  counts: countResult(uncountResult(state.counts, from), to),
  skips: countSkip(uncountSkip(state.skips, from), to)
})

/** The run's ledger, one `Ref` every stage writes through. */
export interface Ledger extends Stop {
  /** Counts finished users; the failures among them, for their log lines. */
  readonly record: (results: Iterable<UserResult>) => Effect.Effect<ReadonlyArray<Failure>>
  /** Counts `n` UNCHANGED users that have no result object. */
  readonly recordUnchanged: (n: number) => Effect.Effect<void>
  /** Recounts results counted before as others (`reclassify`), in one step. */
  readonly reclassify: (
    changes: ReadonlyArray<readonly [from: Counted, to: UserResult]>
  ) => Effect.Effect<void>
  readonly aborted: Effect.Effect<boolean>
  readonly state: Effect.Effect<LedgerState>
}

/** A fresh ledger; `abortAfter` is `SAP_ABORT_AFTER_CONSECUTIVE_FAILURES`. */
export const make = (abortAfter: number): Effect.Effect<Ledger> =>
  Effect.map(Ref.make(emptyLedger), (ref) => ({
    record: (results) =>
      Ref.modify(ref, (state) => {
        const failures: Array<Failure> = []
        let next = state
        for (const result of results) {
          const [after, failure] = record(next, result, abortAfter)
          next = after
          if (failure !== undefined) failures.push(failure)
        }
        return [failures, next]
      }),
    recordUnchanged: (n) => Ref.update(ref, (state) => recordUnchanged(state, n)),
    reclassify: (changes) =>
      Ref.update(ref, (state) =>
        changes.reduce((next, [from, to]) => reclassify(next, from, to), state)
      ),
    abort: (reason) => Ref.update(ref, (state) => abort(state, reason)),
    aborted: Effect.map(Ref.get(ref), (state) => state.abortReason !== undefined),
    running: Effect.map(Ref.get(ref), (state) => state.abortReason === undefined),
    state: Ref.get(ref)
  }))
