import { type ChangeSet, holds, type WritebackRecord } from "@dfo-writeback/domain"
import type { PlannedUser } from "../Plan.js"

const quoted = (value: string | undefined) => JSON.stringify(value ?? "")

/**
 * What changed since a user was planned (CONTRACT §7 `writeback apply`): the directory
 * must still derive every planned `after`, and DFØ must still hold every planned `before`
 * (or already the `after`: an earlier apply wrote it). Empty when the plan still holds.
 */
export const drift = (
  planned: PlannedUser,
  record: WritebackRecord,
  changeSet: ChangeSet
): ReadonlyArray<string> => {
  const found: Array<string> = []
  for (const change of planned.changes) {
    const derived = record[change.field]
    if (derived === undefined || !holds(change.field, derived, change.after)) {
      found.push(
        `LDAP now derives ${change.field} ${quoted(derived)}, the plan writes ${quoted(change.after)}`
      )
    } else if (changeSet.keptFields.includes(change.field)) {
      found.push(`DFØ's ${change.field} was set meanwhile and is kept (write-once)`)
    }
  }
  for (const change of changeSet.changes) {
    const planned_ = planned.changes.find((p) => p.field === change.field)
    if (planned_ === undefined) {
      found.push(
        `${change.field} now differs (DFØ ${quoted(change.before)}, LDAP ${quoted(change.after)}), and the plan does not write it`
      )
    } else if (!holds(change.field, change.before, planned_.before)) {
      found.push(
        `DFØ's ${change.field} is now ${quoted(change.before)}, the plan saw ${quoted(planned_.before)}`
      )
    }
  }
  return found
}
