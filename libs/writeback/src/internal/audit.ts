import type { ChangeSet, DfoField } from "@dfo-writeback/domain"
import { Effect, Logger, LogLevel, Schema } from "effect"

/** The reviewed plan a write comes from (`apply`), as its audit lines name it. */
export interface AuditPlan {
  readonly digest: string
  readonly madeBy: string | undefined
  readonly comment: string | undefined
}

/** Who and what one write is about, for both of its audit lines. */
export interface AuditSubject {
  readonly runId: string
  readonly caller: string
  readonly sapId: string
  readonly idautoId: string
  /** Set when the write applies a reviewed plan. */
  readonly plan: AuditPlan | undefined
}

/** `plan_digest`, `plan_made_by`, `plan_comment`: which approval a write carries out. */
const planFields = (plan: AuditPlan | undefined): Record<string, string> =>
  plan === undefined
    ? {}
    : {
        plan_digest: plan.digest,
        ...(plan.madeBy === undefined ? {} : { plan_made_by: plan.madeBy }),
        ...(plan.comment === undefined ? {} : { plan_comment: plan.comment })
      }

/**
 * How a write ended: DFØ took it (`written`), answered with an error (`rejected`), or
 * gave no answer because the request timed out, the connection dropped or the run was
 * interrupted mid-request (`unknown`: DFØ may have applied it).
 */
export type AuditResult = "written" | "rejected" | "unknown"

/**
 * An audit line the log sink could not write (a full disk, a closed file). The write it
 * belongs to is not sent, and the run sends no further write.
 */
export class AuditLogError extends Schema.TaggedError<AuditLogError>()("AuditLogError", {
  reason: Schema.String
}) {
  override get message() {
    return `the audit log could not be written: ${this.reason}`
  }
}

const valuesOf = (changeSet: ChangeSet, side: "before" | "after") =>
  Object.fromEntries(changeSet.changes.map((c) => [c.field, c[side]]))

/**
 * One audit line at info level. No `LOG_LEVEL` silences it (a terminal that shows only
 * warnings, `LOG_LEVEL=none`): every write DFØ may have applied keeps its record. The
 * logger runs in this fiber and throws when its sink could not take an audit line whole
 * (`LogFormat`); the logging call does nothing else, so its defect is that failure.
 */
const line = (
  subject: AuditSubject,
  fields: Record<string, unknown>
): Effect.Effect<void, AuditLogError> =>
  Effect.logInfo("audit").pipe(
    Effect.annotateLogs({
      audit: true,
      run_id: subject.runId,
      caller: subject.caller,
      sap_id: subject.sapId,
      idauto_id: subject.idautoId,
      ...planFields(subject.plan),
      ...fields
    }),
    Logger.withMinimumLogLevel(LogLevel.Info),
    Effect.catchAllDefect((defect) =>
      Effect.fail(
        new AuditLogError({ reason: defect instanceof Error ? defect.message : String(defect) })
      )
    )
  )

/** The line logged before a write is sent (CONTRACT §4 step 10), so no write goes unrecorded. */
export const intent = (subject: AuditSubject, changeSet: ChangeSet, attempt: number) =>
  line(subject, {
    audit_phase: "intent",
    attempt,
    before: valuesOf(changeSet, "before"),
    after: valuesOf(changeSet, "after")
  })

/** The line logged once a write has ended, however it ended. */
export const done = (
  subject: AuditSubject,
  changeSet: ChangeSet,
  attempt: number,
  result: AuditResult,
  details: {
    readonly status?: number | undefined
    readonly reason?: string | undefined
    readonly unheld?: ReadonlyArray<DfoField> | undefined
  } = {}
) =>
  line(subject, {
    audit_phase: "done",
    attempt,
    result,
    before: valuesOf(changeSet, "before"),
    after: valuesOf(changeSet, "after"),
    ...(details.status === undefined ? {} : { status: details.status }),
    ...(details.reason === undefined ? {} : { reason: details.reason }),
    ...(details.unheld === undefined || details.unheld.length === 0
      ? {}
      : { unheld: details.unheld })
  })
