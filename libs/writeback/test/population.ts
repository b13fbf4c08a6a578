import {
  type Employee as DfoRecord,
  type Emulator,
  makeEmployee
} from "@dfo-writeback/dfo-emulator"
import type { UserResult } from "@dfo-writeback/domain"
import { type Employee as Person, generateEmployees } from "@dfo-writeback/ldap-testbed"
import { rules } from "./fixtures.js"

/**
 * A few hundred generated people (the testbed loads the same ones from `users`/`seed`)
 * and DFØ's side of them, so every answer of a run can be checked against what the
 * directory says.
 */
export const seed = 11
export const count = 300
export const people = generateEmployees({ count, seed })

type Field = "eksternIdent" | "epost" | "brukerident"
const fields: ReadonlyArray<Field> = ["eksternIdent", "epost", "brukerident"]

/** IAM's values: the first non-empty source of the default mapping (CONTRACT §1). */
export const wanted = (person: Person): Readonly<Record<Field, string | undefined>> => ({
  eksternIdent: person.feideId ?? person.mail,
  epost: person.workEmail ?? person.mail,
  brukerident: person.username ?? person.uhUsername
})

/** Passes checks 1–6 of CONTRACT §4 under the fixtures' rules, so DFØ is asked. */
export const eligible = (person: Person): boolean => {
  const values = wanted(person)
  return (
    !person.deleted &&
    !person.disabled &&
    person.payrollId !== undefined &&
    values.eksternIdent !== undefined &&
    values.epost !== undefined &&
    person.entitledToAd &&
    !person.businessRoles.some((role) => rules.businessRoleExceptions.includes(role))
  )
}

/** What DFØ holds for a person before any run, chosen by index so each state recurs. */
export type DfoState = "absent" | "in-sync" | "stale-epost" | "empty" | "other-brukerident"

export const stateOf = (person: Person): DfoState =>
  person.index % 20 === 0
    ? "absent"
    : ((["in-sync", "stale-epost", "empty", "other-brukerident"] as const)[
        person.index % 4
      ] as DfoState)

export const dfoRecordOf = (person: Person): DfoRecord | undefined => {
  const state = stateOf(person)
  if (person.payrollId === undefined || state === "absent") return undefined
  const values = wanted(person)
  return makeEmployee({
    id: person.payrollId,
    fornavn: person.givenName,
    etternavn: person.sn,
    // Case differs on purpose: eksternIdent compares case-insensitively.
    eksternIdent: state === "empty" ? null : (values.eksternIdent?.toUpperCase() ?? null),
    epost:
      state === "stale-epost"
        ? `old.${person.index}@gammel.uni.no`
        : state === "empty"
          ? ""
          : (values.epost ?? ""),
    brukerident:
      state === "empty"
        ? null
        : state === "other-brukerident"
          ? `x${person.index}`
          : (values.brukerident ?? null)
  })
}

export const dfoRecords = (): ReadonlyArray<DfoRecord> =>
  people.flatMap((person) => {
    const record = dfoRecordOf(person)
    return record === undefined ? [] : [record]
  })

export const byPayrollId = new Map(
  people.flatMap((p) => (p.payrollId === undefined ? [] : [[p.payrollId, p] as const]))
)
export const byIdautoId = new Map(people.map((p) => [p.idautoId, p]))

const text = (value: unknown) => (typeof value === "string" ? value.trim() : "")
const same = (field: Field, a: string, b: string) =>
  field === "brukerident" ? a === b : a.toLowerCase() === b.toLowerCase()

/**
 * What DFØ should hold for a person once written: IAM's values, except a non-empty
 * brukerident DFØ already had (write-once). `before` is DFØ's record before the run.
 */
export const expectedAfter = (
  person: Person,
  before: DfoRecord
): Readonly<Record<Field, string>> => {
  const values = wanted(person)
  const held = text(before["brukerident"])
  return {
    eksternIdent: values.eksternIdent ?? "",
    epost: values.epost ?? "",
    brukerident: held !== "" ? held : (values.brukerident ?? "")
  }
}

/** Where DFØ's record differs from `expectedAfter`, as readable lines. */
export const differences = (person: Person, before: DfoRecord, now: DfoRecord | undefined) => {
  const expected = expectedAfter(person, before)
  return fields.flatMap((field) => {
    const held = text(now?.[field])
    return same(field, held, expected[field])
      ? []
      : [`${person.payrollId} ${field}: DFØ holds "${held}", expected "${expected[field]}"`]
  })
}

/**
 * Every PATCH the emulator received (answered or not) that writes something other than
 * IAM's value, goes to a person the rules skip, or overwrites a brukerident DFØ held.
 */
export const wrongPatches = (emulator: Emulator): ReadonlyArray<string> =>
  emulator
    .log()
    .filter((entry) => entry.method === "PATCH")
    .flatMap((entry) => {
      const id = entry.path.split("/").pop() ?? ""
      const person = byPayrollId.get(id)
      const before = person === undefined ? undefined : dfoRecordOf(person)
      if (person === undefined || before === undefined || !eligible(person)) {
        return [`PATCH #${entry.seq} to ${id}, who should never be written`]
      }
      const body = (entry.body ?? {}) as Record<string, unknown>
      return Object.entries(body).flatMap(([field, value]) => {
        const expected = wanted(person)[field as Field]
        if (value !== expected) {
          return [
            `PATCH #${entry.seq} to ${id} sets ${field} "${String(value)}", IAM has "${expected}"`
          ]
        }
        if (field === "brukerident" && text(before["brukerident"]) !== "") {
          return [`PATCH #${entry.seq} to ${id} overwrites brukerident "${before["brukerident"]}"`]
        }
        return []
      })
    })

/** Ids answered 2xx to a PATCH: DFØ holds what was sent. */
export const writtenIds = (emulator: Emulator): ReadonlySet<string> =>
  new Set(
    emulator
      .log()
      .filter((e) => e.method === "PATCH" && e.status !== undefined && e.status < 300)
      .map((e) => e.path.split("/").pop() ?? "")
  )

/** Every eligible person DFØ knows whose record is not yet what it should be. */
export const notConverged = (emulator: Emulator): ReadonlyArray<string> =>
  people.flatMap((person) => {
    const before = dfoRecordOf(person)
    if (!eligible(person) || before === undefined) return []
    return differences(person, before, emulator.employee(before.id))
  })

/** Results by the person they belong to; fails on an entry with two results. */
export const resultsByPerson = (results: ReadonlyArray<UserResult>) => {
  const map = new Map<string, UserResult>()
  for (const result of results) {
    if (map.has(result.idautoId)) throw new Error(`two results for ${result.idautoId}`)
    map.set(result.idautoId, result)
  }
  return map
}
