import type { DfoEmployee, DfoField, DfoPatch } from "./DfoEmployee.js"
import type { FieldChange } from "./WritebackEvent.js"
import type { WritebackRecord } from "./WritebackRecord.js"

/** What a writeback would do to one employee: the changes, the PATCH body, the kept fields. */
export interface ChangeSet {
  readonly changes: ReadonlyArray<FieldChange>
  readonly patch: DfoPatch
  /** Fields that differ but stay as DFØ has them (a write-once `brukerident`). */
  readonly keptFields: ReadonlyArray<DfoField>
}

/** E-mail-shaped fields compare case-insensitively (CONTRACT §4 step 8). */
const caseInsensitive: ReadonlySet<DfoField> = new Set(["eksternIdent", "epost"])

const same = (field: DfoField, a: string, b: string) =>
  caseInsensitive.has(field) ? a.toLowerCase() === b.toLowerCase() : a === b

/**
 * Step 8 of CONTRACT §4: compares trimmed values. `brukerident` is in the record only
 * when its writeback is on, and is write-once: a non-empty value in DFØ is never
 * changed, only reported in `keptFields` when it differs.
 */
export const diff = (record: WritebackRecord, employee: DfoEmployee): ChangeSet => {
  const changes: Array<FieldChange> = []
  const keptFields: Array<DfoField> = []
  const patch: { -readonly [F in DfoField]?: string } = {}
  const fields: ReadonlyArray<DfoField> = ["eksternIdent", "epost", "brukerident"]
  for (const field of fields) {
    const wanted = record[field]?.trim()
    if (wanted === undefined || wanted === "") continue
    const held = employee[field]?.trim() ?? ""
    if (same(field, held, wanted)) continue
    if (field === "brukerident" && held !== "") {
      keptFields.push(field)
      continue
    }
    changes.push({ field, before: employee[field] ?? "", after: wanted })
    patch[field] = wanted
  }
  return { changes, patch, keptFields }
}

/** The employee as DFØ holds it after a PATCH of `patch`. */
export const applyPatch = (employee: DfoEmployee, patch: DfoPatch): DfoEmployee => {
  const next: { -readonly [K in keyof DfoEmployee]: DfoEmployee[K] } = { ...employee }
  for (const field of ["eksternIdent", "epost", "brukerident"] as const) {
    const value = patch[field]
    if (value !== undefined) next[field] = value
  }
  return next
}

/** True when nothing needs writing. */
export const isUnchanged = (changeSet: ChangeSet): boolean => changeSet.changes.length === 0
