// The writeback rules (CONTRACT §1, §4) restated over generated people, so tests, the
// demo and the benchmarks know each person's outcome before a run. Independent of the
// product's code on purpose: a test compares the two.
import type { DfoRecord } from "./DfoRecord.js"
import type { Person } from "./Person.js"

/** The DFØ fields a run writes. */
export type Field = "eksternIdent" | "epost" | "brukerident"
export const fields: ReadonlyArray<Field> = ["eksternIdent", "epost", "brukerident"]

/** DFØ's field limits (CONTRACT §1). */
export const maxLength: Readonly<Record<Field, number>> = {
  eksternIdent: 241,
  epost: 241,
  brukerident: 8
}

/** The settings that change an outcome: `SAP_WRITEBACK_BRUKERIDENT` and the role exceptions. */
export interface Rules {
  readonly writebackBrukerident: boolean
  readonly businessRoleExceptions: ReadonlyArray<string>
}

export type SkipReason =
  | "DELETED"
  | "DISABLED"
  | "MISSING_ATTRIBUTES"
  | "INVALID_ATTRIBUTES"
  | "NOT_ENTITLED_AD"
  | "BUSINESS_ROLE_EXCEPTION"
  | "DUPLICATE_EMPLOYEE_ID"
  | "NOT_IN_SAP"

/** A person's outcome from a run (not read-only, no DFØ faults). */
export type Expected =
  | { readonly outcome: "SKIPPED"; readonly reason: SkipReason }
  | { readonly outcome: "UNCHANGED"; readonly kept: ReadonlyArray<Field> }
  | {
      readonly outcome: "UPDATED"
      readonly changes: Readonly<Partial<Record<Field, string>>>
      readonly kept: ReadonlyArray<Field>
    }

/** An id of 1–8 digits in DFØ's 8-digit form (`30202` → `00030202`); others as given. */
export const canonicalId = (id: string): string => (/^\d{1,8}$/.test(id) ? id.padStart(8, "0") : id)

/**
 * IAM's values by the default mapping: `eksternIdent` from `idautoPersonSystem5ID`, else
 * `mail`; `epost` from `idautoPersonSystem2ID` only (`mail` holds the Feide ID);
 * `brukerident` is the employee number, `idautoPersonPayrollID`, as the directory holds it.
 */
export const wanted = (person: Person): Readonly<Record<Field, string | undefined>> => ({
  eksternIdent: person.feideId ?? person.mail,
  epost: person.workEmail,
  brukerident: person.payrollId
})

/** The attributes the written values come from, to spot a multi-valued one. */
const sourcesOf = (person: Person, rules: Rules): ReadonlyArray<string> => [
  "idautoPersonPayrollID",
  person.feideId !== undefined ? "idautoPersonSystem5ID" : "mail",
  "idautoPersonSystem2ID",
  ...(rules.writebackBrukerident ? ["idautoPersonPayrollID"] : [])
]

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** Checks 1–6 of CONTRACT §4 for one entry on its own: the reason it is skipped, if any. */
export const entryCheck = (person: Person, rules: Rules): SkipReason | undefined => {
  if (person.deleted) return "DELETED"
  if (person.disabled) return "DISABLED"
  const values = wanted(person)
  if (
    person.payrollId === undefined ||
    values.eksternIdent === undefined ||
    values.epost === undefined
  ) {
    return "MISSING_ATTRIBUTES"
  }
  if (!/^\d{1,8}$/.test(person.payrollId)) return "INVALID_ATTRIBUTES"
  if (
    person.multiValued !== undefined &&
    sourcesOf(person, rules).includes(person.multiValued.attribute)
  ) {
    return "INVALID_ATTRIBUTES"
  }
  for (const field of fields) {
    if (field === "brukerident" && !rules.writebackBrukerident) continue
    const value = values[field] ?? ""
    if (value.length > maxLength[field] || CONTROL.test(value)) return "INVALID_ATTRIBUTES"
  }
  if (!person.entitledToAd) return "NOT_ENTITLED_AD"
  if (person.businessRoles.some((role) => rules.businessRoleExceptions.includes(role))) {
    return "BUSINESS_ROLE_EXCEPTION"
  }
  return undefined
}

/**
 * The 8-digit ids that two or more entries passing checks 1–6 share (check 6a): nothing is
 * written to them.
 */
export const duplicateIds = (people: ReadonlyArray<Person>, rules: Rules): ReadonlySet<string> => {
  const seen = new Map<string, number>()
  for (const person of people) {
    if (person.payrollId === undefined || entryCheck(person, rules) !== undefined) continue
    const id = canonicalId(person.payrollId)
    seen.set(id, (seen.get(id) ?? 0) + 1)
  }
  return new Set([...seen].filter(([, n]) => n > 1).map(([id]) => id))
}

const text = (value: unknown) => (typeof value === "string" ? value.trim() : "")

const same = (field: Field, a: string, b: string) =>
  field === "brukerident" ? a === b : a.toLowerCase() === b.toLowerCase()

/**
 * Step 8: what a run changes in `before` for a person who passed checks 1–7.
 * `brukerident` is written only when DFØ holds the key with `null` or a blank value.
 */
export const plannedChange = (
  person: Person,
  before: DfoRecord,
  rules: Rules
): { readonly changes: Partial<Record<Field, string>>; readonly kept: ReadonlyArray<Field> } => {
  const values = wanted(person)
  const changes: Partial<Record<Field, string>> = {}
  const kept: Array<Field> = []
  for (const field of fields) {
    const value = (values[field] ?? "").trim()
    if (field === "brukerident") {
      if (!rules.writebackBrukerident) continue
      const known = "brukerident" in before
      const held = text(before["brukerident"])
      if (known && held === "") changes.brukerident = value
      else if (!known || held !== value) kept.push(field)
      continue
    }
    if (!same(field, text(before[field]), value)) changes[field] = value
  }
  return { changes, kept }
}

/**
 * Every person's outcome from a run over `people` against DFØ's records before the run
 * (`recordOf`), by idautoID.
 */
export const expectedOutcomes = (
  people: ReadonlyArray<Person>,
  recordOf: (person: Person) => DfoRecord | undefined,
  rules: Rules
): ReadonlyMap<string, Expected> => {
  const duplicates = duplicateIds(people, rules)
  const out = new Map<string, Expected>()
  for (const person of people) {
    const reason = entryCheck(person, rules)
    if (reason !== undefined) {
      out.set(person.idautoId, { outcome: "SKIPPED", reason })
      continue
    }
    if (duplicates.has(canonicalId(person.payrollId as string))) {
      out.set(person.idautoId, { outcome: "SKIPPED", reason: "DUPLICATE_EMPLOYEE_ID" })
      continue
    }
    const before = recordOf(person)
    if (before === undefined) {
      out.set(person.idautoId, { outcome: "SKIPPED", reason: "NOT_IN_SAP" })
      continue
    }
    const { changes, kept } = plannedChange(person, before, rules)
    out.set(
      person.idautoId,
      Object.keys(changes).length === 0
        ? { outcome: "UNCHANGED", kept }
        : { outcome: "UPDATED", changes, kept }
    )
  }
  return out
}

/**
 * What DFØ should hold for a person once written: IAM's values, except a `brukerident`
 * DFØ already had (write-once) or that is not written at all.
 */
export const expectedAfter = (
  person: Person,
  before: DfoRecord,
  rules: Rules
): Readonly<Record<Field, string>> => {
  const values = wanted(person)
  const { changes } = plannedChange(person, before, rules)
  return {
    eksternIdent: values.eksternIdent ?? "",
    epost: values.epost ?? "",
    brukerident: changes.brukerident ?? text(before["brukerident"])
  }
}

/** Where `now` differs from `expectedAfter`, as readable lines naming the id and field. */
export const differences = (
  person: Person,
  before: DfoRecord,
  now: DfoRecord | undefined,
  rules: Rules
): ReadonlyArray<string> => {
  const expected = expectedAfter(person, before, rules)
  return fields.flatMap((field) => {
    const held = text(now?.[field])
    return same(field, held, expected[field])
      ? []
      : [`${person.payrollId} ${field}: DFØ holds "${held}", expected "${expected[field]}"`]
  })
}
