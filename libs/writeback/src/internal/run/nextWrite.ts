import {
  type ChangeSet,
  type DfoEmployee,
  type DfoField,
  diff,
  isUnchanged,
  unheldFields,
  type WritebackRecord
} from "@dfo-writeback/domain"
import { Option } from "effect"
import type { PlannedUser } from "../../Plan.js"
import { drift } from "../drift.js"

/** What one user's write has learnt so far, across its attempts. */
export interface WriteState {
  /** The values the directory derives for the employee. */
  readonly wanted: WritebackRecord
  /** A reviewed plan's user: every decision checks that the plan still holds. */
  readonly reviewed: PlannedUser | undefined
  /** Writes sent so far. */
  readonly sent: number
  /** A write got no answer (timeout, reset): DFØ may have applied it. */
  readonly unanswered: boolean
  /** The change last decided, for a failed user's result. */
  readonly last: ChangeSet | undefined
}

/** What to do, given what DFØ holds now. */
export type WriteDecision =
  | {
      readonly _tag: "Unchanged"
      readonly changeSet: ChangeSet
      /** DFØ may hold the values from an earlier write of this user that got no answer. */
      readonly afterUnanswered: boolean
    }
  /** A reviewed plan no longer holds: nothing is written. */
  | { readonly _tag: "Stale"; readonly drifted: ReadonlyArray<string> }
  /** Send `changeSet.patch`, only the fields that differ; `attempt` counts from 1. */
  | { readonly _tag: "Send"; readonly changeSet: ChangeSet; readonly attempt: number }

export const start = (wanted: WritebackRecord, reviewed?: PlannedUser): WriteState => ({
  wanted,
  reviewed,
  sent: 0,
  unanswered: false,
  last: undefined
})

/**
 * The write's next step from what DFØ holds now (first the comparison's employee, after a
 * failed attempt a fresh re-read): the change is recomputed every time, so a value set
 * meanwhile is kept, never overwritten (CONTRACT §4 step 10).
 */
export const nextWrite = (state: WriteState, current: DfoEmployee): [WriteDecision, WriteState] => {
  const changeSet = diff(state.wanted, current)
  const decided = { ...state, last: changeSet }
  if (isUnchanged(changeSet)) {
    return [{ _tag: "Unchanged", changeSet, afterUnanswered: state.unanswered }, decided]
  }
  const drifted = state.reviewed === undefined ? [] : drift(state.reviewed, state.wanted, changeSet)
  if (drifted.length > 0) return [{ _tag: "Stale", drifted }, decided]
  const attempt = state.sent + 1
  return [
    { _tag: "Send", changeSet, attempt },
    { ...decided, sent: attempt }
  ]
}

/** A write DFØ did not answer (no HTTP status): it may have been applied. */
export const failedWith = (state: WriteState, status: number | undefined): WriteState =>
  status === undefined ? { ...state, unanswered: true } : state

/** How a write DFØ accepted ended. */
export type Written =
  /** `verified`: DFØ's answer showed the employee holding every written value. */
  | { readonly _tag: "Updated"; readonly verified: boolean }
  /** DFØ said yes, but its answer does not hold these fields as written (CONTRACT §3). */
  | { readonly _tag: "Unheld"; readonly fields: ReadonlyArray<DfoField> }

/** DFØ's answer to an accepted write: the employee as it now is, or none (`204`). */
export const written = (changeSet: ChangeSet, answer: Option.Option<DfoEmployee>): Written => {
  if (Option.isNone(answer)) return { _tag: "Updated", verified: false }
  const fields = unheldFields(changeSet.patch, answer.value)
  return fields.length > 0 ? { _tag: "Unheld", fields } : { _tag: "Updated", verified: true }
}
