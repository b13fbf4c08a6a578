import { Schema } from "effect"
import { DfoField } from "./DfoEmployee.js"

/** What happened to one user (CONTRACT §5 `Outcome`). */
export const Outcome = Schema.Literal("UPDATED", "UNCHANGED", "SKIPPED", "FAILED", "WOULD_UPDATE")
export type Outcome = typeof Outcome.Type

/** Why a user was skipped (CONTRACT §4). */
export const SkipReason = Schema.Literal(
  "DELETED",
  "DISABLED",
  "MISSING_ATTRIBUTES",
  "INVALID_ATTRIBUTES",
  "NOT_ENTITLED_AD",
  "BUSINESS_ROLE_EXCEPTION",
  "NOT_IN_SAP",
  "DUPLICATE_EMPLOYEE_ID",
  "PLAN_STALE"
)
export type SkipReason = typeof SkipReason.Type

/** The seed's error codes carried by a FAILED user or a failed run. */
export const ErrorCode = Schema.Literal(
  "LDAP_CONNECTION_FAILED",
  "SAP_FETCH_FAILED",
  "SAP_UPDATE_FAILED"
)
export type ErrorCode = typeof ErrorCode.Type

/** One DFØ field's change: the value DFØ held ("" for none) and the value written. */
export const FieldChange = Schema.Struct({
  field: DfoField,
  before: Schema.String,
  after: Schema.String
})
export type FieldChange = typeof FieldChange.Type

/** The run has started. */
export class RunStarted extends Schema.TaggedClass<RunStarted>()("RunStarted", {
  runId: Schema.String,
  logOnly: Schema.Boolean,
  readOnly: Schema.Boolean,
  processAll: Schema.Boolean,
  /** An incremental run's window in seconds; 0 for a full or single-user run. */
  changedSinceSeconds: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 0 })
}) {}

/** The answer for one examined entry. Identity fields are "" when the entry lacks them. */
export class UserResult extends Schema.TaggedClass<UserResult>()("UserResult", {
  idautoId: Schema.String,
  username: Schema.String,
  uhUsername: Schema.String,
  sapId: Schema.String,
  outcome: Outcome,
  skipReason: Schema.optional(SkipReason),
  errorCode: Schema.optional(ErrorCode),
  changes: Schema.Array(FieldChange),
  keptFields: Schema.Array(DfoField),
  message: Schema.String,
  /**
   * A FAILED user whose failure DFØ's client called transient (429, 502–504, no answer in
   * time, a dropped connection, after its retries): DFØ was unreachable, not this person's
   * record at fault, so the same run may succeed later. Internal: not on the wire.
   */
  transient: Schema.optionalWith(Schema.Boolean, { default: () => false })
}) {}

/** The counters of a finished run (CONTRACT §4). */
export const RunCounts = Schema.Struct({
  total: Schema.Number,
  skipped: Schema.Number,
  unchanged: Schema.Number,
  updated: Schema.Number,
  wouldUpdate: Schema.Number,
  updateFailed: Schema.Number,
  fetchFailed: Schema.Number
})
export type RunCounts = typeof RunCounts.Type

/** What a run asked of DFØ: HTTP attempts, the retries among them, and `429` answers. */
export const DfoRequestCounts = Schema.Struct({
  dfoRequests: Schema.Number,
  dfoRetries: Schema.Number,
  dfoRateLimited: Schema.Number
})
export type DfoRequestCounts = typeof DfoRequestCounts.Type

/** The run has ended; sent last. */
export class RunSummary extends Schema.TaggedClass<RunSummary>()("RunSummary", {
  runId: Schema.String,
  ...RunCounts.fields,
  /** Skipped users by reason; only reasons that occurred. */
  skippedByReason: Schema.partialWith(Schema.Record({ key: SkipReason, value: Schema.Number }), {
    exact: true
  }),
  ...DfoRequestCounts.fields,
  logOnly: Schema.Boolean,
  aborted: Schema.Boolean,
  abortReason: Schema.String,
  durationMs: Schema.Number,
  /** Who asked for the run (a token's name); "" when unnamed. */
  caller: Schema.String
}) {}

/** One event of a run: one `RunStarted`, a `UserResult` per entry, one `RunSummary`. */
export const WritebackEvent = Schema.Union(RunStarted, UserResult, RunSummary)
export type WritebackEvent = typeof WritebackEvent.Type
