import {
  type ChangeSet,
  type ErrorCode,
  type PortalUser,
  type SapFetchError,
  type SapUpdateError,
  type SkipReason,
  UserResult
} from "@dfo-writeback/domain"

/** Built from typed values only, so the class's own validation would only repeat the compiler's. */
const result = (fields: ConstructorParameters<typeof UserResult>[0]) => new UserResult(fields, true)

/** Who a result is about: a result's identity fields. */
export interface Identity {
  readonly idautoId: string
  readonly username: string
  readonly uhUsername: string
  readonly sapId: string
}

/** Who a result is about, as far as the entry tells. */
export const identity = (user: PortalUser): Identity => ({
  idautoId: user.idautoId ?? "",
  username: user.username ?? "",
  uhUsername: user.uhUsername ?? "",
  // Trimmed for people; the employee id rule reads the value as held.
  sapId: user.sapId?.trim() ?? ""
})

export const skipped = (user: PortalUser, skipReason: SkipReason, message: string) =>
  result({
    ...identity(user),
    outcome: "SKIPPED",
    skipReason,
    changes: [],
    keptFields: [],
    message
  })

export const notInSap = (user: PortalUser, sapId: string, faultText: string) =>
  skipped(user, "NOT_IN_SAP", `DFØ has no employee ${sapId}: ${faultText}`)

/** A reviewed plan's user for whom the plan no longer holds (CONTRACT §7): nothing written. */
export const stale = (user: PortalUser, what: string) =>
  skipped(user, "PLAN_STALE", `the plan no longer holds: ${what}; nothing written`)

/** DUPLICATE_EMPLOYEE_ID for `who`, by identity (a held claimant keeps no entry). */
export const duplicateOf = (who: Identity, sapId: string, others: ReadonlyArray<string>) =>
  result({
    idautoId: who.idautoId,
    username: who.username,
    uhUsername: who.uhUsername,
    sapId: who.sapId,
    outcome: "SKIPPED",
    skipReason: "DUPLICATE_EMPLOYEE_ID",
    changes: [],
    keptFields: [],
    message:
      `employee id ${sapId} is also claimed by idautoID ${others.join(", ")}; ` +
      `nothing is written for this employee while several entries claim it`
  })

export const duplicate = (user: PortalUser, sapId: string, others: ReadonlyArray<string>) =>
  duplicateOf(identity(user), sapId, others)

export const failed = (
  user: PortalUser,
  error: SapFetchError | SapUpdateError,
  changeSet?: ChangeSet
) =>
  result({
    ...identity(user),
    outcome: "FAILED",
    errorCode: error.code satisfies ErrorCode,
    changes: changeSet?.changes ?? [],
    keptFields: changeSet?.keptFields ?? [],
    message: error.message,
    transient: error.transient
  })

const keptNote = (changeSet: ChangeSet) => changeSet.keptBecause.map((why) => `; ${why}`).join("")

const fieldList = (changeSet: ChangeSet) => changeSet.changes.map((c) => c.field).join(", ")

/** `afterUnansweredWrite`: a write of this run got no answer, so DFØ may hold it from that. */
export const unchanged = (user: PortalUser, changeSet: ChangeSet, afterUnansweredWrite = false) =>
  result({
    ...identity(user),
    outcome: "UNCHANGED",
    changes: [],
    keptFields: changeSet.keptFields,
    message:
      "DFØ is up to date" +
      (afterUnansweredWrite
        ? " (re-read after a write that got no answer: DFØ may have applied that write)"
        : "") +
      keptNote(changeSet)
  })

export const wouldUpdate = (user: PortalUser, changeSet: ChangeSet, why: string) =>
  result({
    ...identity(user),
    outcome: "WOULD_UPDATE",
    changes: changeSet.changes,
    keptFields: changeSet.keptFields,
    message: `would update ${fieldList(changeSet)} (${why})${keptNote(changeSet)}`
  })

/** `verified`: DFØ's answer showed the employee holding every written value. */
export const updated = (user: PortalUser, changeSet: ChangeSet, verified: boolean) =>
  result({
    ...identity(user),
    outcome: "UPDATED",
    changes: changeSet.changes,
    keptFields: changeSet.keptFields,
    message:
      `updated ${fieldList(changeSet)}` +
      (verified ? "" : " (DFØ's answer showed no employee, so the values are not verified)") +
      keptNote(changeSet)
  })
