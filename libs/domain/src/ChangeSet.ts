import type { DfoEmployee, DfoField, DfoPatch } from "./DfoEmployee.js"
import type { FieldChange } from "./WritebackEvent.js"
import type { WritebackRecord } from "./WritebackRecord.js"

/** What a writeback would do to one employee: the changes, the write body, the kept fields. */
export interface ChangeSet {
  readonly changes: ReadonlyArray<FieldChange>
  readonly patch: DfoPatch
  /** Fields that differ, or may differ, but stay as DFØ has them (a write-once `brukerident`). */
  readonly keptFields: ReadonlyArray<DfoField>
  /** Why each kept field is kept, for the user's result message. */
  readonly keptBecause: ReadonlyArray<string>
}

/** E-mail-shaped fields compare case-insensitively (CONTRACT §4 step 8). */
const caseInsensitive: ReadonlySet<DfoField> = new Set(["eksternIdent", "epost"])

const same = (field: DfoField, a: string, b: string) =>
  caseInsensitive.has(field) ? a.toLowerCase() === b.toLowerCase() : a === b

/** True when DFØ's `value` holds what was `written` (CONTRACT §4 step 8's comparison). */
export const holds = (field: DfoField, value: string | undefined, written: string): boolean =>
  same(field, value?.trim() ?? "", written.trim())

/**
 * Step 8 of CONTRACT §4: compares trimmed values. `brukerident` is in the record only
 * when its writeback is on, and is write-once: it is written only when DFØ's answer
 * holds the key empty (`null` or blank). A non-empty value is never changed, and an
 * answer without the key is no evidence of an empty value: both are reported in
 * `keptFields` when they differ or may differ.
 */
export const diff = (record: WritebackRecord, employee: DfoEmployee): ChangeSet => {
  const changes: Array<FieldChange> = []
  const keptFields: Array<DfoField> = []
  const keptBecause: Array<string> = []
  const patch: { -readonly [F in DfoField]?: string } = {}
  const fields: ReadonlyArray<DfoField> = ["eksternIdent", "epost", "brukerident"]
  for (const field of fields) {
    const wanted = record[field]?.trim()
    if (wanted === undefined || wanted === "") continue
    const held = employee[field]?.trim() ?? ""
    if (same(field, held, wanted)) continue
    if (field === "brukerident" && held !== "") {
      keptFields.push(field)
      keptBecause.push(`kept brukerident ${JSON.stringify(held)} as DFØ has it (write-once)`)
      continue
    }
    if (field === "brukerident" && !employee.hasBrukerident) {
      keptFields.push(field)
      keptBecause.push(
        "kept brukerident: DFØ's answer did not include the field, so it is not known to be empty (write-once)"
      )
      continue
    }
    changes.push({ field, before: employee[field] ?? "", after: wanted })
    patch[field] = wanted
  }
  return { changes, patch, keptFields, keptBecause }
}

/** The employee as DFØ holds it after a write of `patch`. */
export const applyPatch = (employee: DfoEmployee, patch: DfoPatch): DfoEmployee => {
  const next: { -readonly [K in keyof DfoEmployee]: DfoEmployee[K] } = { ...employee }
  for (const field of ["eksternIdent", "epost", "brukerident"] as const) {
    const value = patch[field]
    if (value !== undefined) next[field] = value
  }
  if (patch.brukerident !== undefined) next.hasBrukerident = true
  return next
}

/**
 * The written fields DFØ's answer to a write does not hold as written (CONTRACT §3:
 * DFØ keeps a `brukerident` once set, and says 200 all the same).
 */
export const unheldFields = (patch: DfoPatch, answer: DfoEmployee): ReadonlyArray<DfoField> =>
  (["eksternIdent", "epost", "brukerident"] as const).filter((field) => {
    const written = patch[field]
    return written !== undefined && !holds(field, answer[field], written)
  })

/** True when nothing needs writing. */
export const isUnchanged = (changeSet: ChangeSet): boolean => changeSet.changes.length === 0
