// Checks of a finished run against a population: from the emulator's request log and what
// DFØ holds afterwards, never from timing.
import type { DfoRecord } from "./DfoRecord.js"
import type { Person } from "./Person.js"
import type { Population } from "./Population.js"
import {
  canonicalId,
  differences,
  duplicateIds,
  entryCheck,
  type Field,
  type Rules,
  wanted
} from "./Rules.js"

/** A request as the emulator logs it (structurally: no dependency on the emulator). */
export interface LoggedRequest {
  readonly seq: number
  readonly method: string
  /** The path as requested; its last segment is the employee id. */
  readonly path: string
  readonly status: number | undefined
  readonly body?: unknown
}

const WRITES = new Set(["PUT", "PATCH"])

const idOf = (entry: LoggedRequest) => canonicalId(entry.path.split("/").pop() ?? "")

/** The people by their payroll id's 8-digit form (several when they share one). */
export const peopleById = (population: Population): ReadonlyMap<string, ReadonlyArray<Person>> => {
  const map = new Map<string, Array<Person>>()
  for (const person of population.people) {
    if (person.payrollId === undefined) continue
    const id = canonicalId(person.payrollId)
    map.set(id, [...(map.get(id) ?? []), person])
  }
  return map
}

/**
 * Every write (`PUT`, or `PATCH` where accepted) the log holds, answered or not, that sets a
 * value other than IAM's, goes to an id the rules never write (skipped, shared by two
 * entries, unknown), or sets a `brukerident` DFØ held before the run.
 */
export const wrongWrites = (
  log: ReadonlyArray<LoggedRequest>,
  population: Population,
  rules: Rules
): ReadonlyArray<string> => {
  const byId = peopleById(population)
  const duplicates = duplicateIds(population.people, rules)
  return log
    .filter((entry) => WRITES.has(entry.method))
    .flatMap((entry) => {
      const id = idOf(entry)
      const eligible = (byId.get(id) ?? []).filter((p) => entryCheck(p, rules) === undefined)
      const person = eligible[0]
      const before = person === undefined ? undefined : population.dfoRecordOf(person)
      if (person === undefined || before === undefined || duplicates.has(id)) {
        return [`${entry.method} #${entry.seq} to ${id}, who should never be written`]
      }
      const body = (entry.body ?? {}) as Record<string, unknown>
      return Object.entries(body).flatMap(([field, value]) => {
        const expected = wanted(person)[field as Field]
        if (value !== expected) {
          return [
            `${entry.method} #${entry.seq} to ${id} sets ${field} "${String(value)}", IAM has "${expected}"`
          ]
        }
        if (
          field === "brukerident" &&
          typeof before["brukerident"] === "string" &&
          before["brukerident"].trim() !== ""
        ) {
          return [
            `${entry.method} #${entry.seq} to ${id} overwrites brukerident "${before["brukerident"]}"`
          ]
        }
        if (field === "brukerident" && !rules.writebackBrukerident) {
          return [`${entry.method} #${entry.seq} to ${id} writes brukerident, which is off`]
        }
        return []
      })
    })
}

/** The 8-digit ids a write was answered 2xx for: DFØ holds what was sent. */
export const writtenIds = (log: ReadonlyArray<LoggedRequest>): ReadonlySet<string> =>
  new Set(
    log.filter((e) => WRITES.has(e.method) && e.status !== undefined && e.status < 300).map(idOf)
  )

/**
 * Every person a run should write whose DFØ record (`holds`, by 8-digit id) is not yet what
 * it should be, as readable lines.
 */
export const notConverged = (
  population: Population,
  holds: (id: string) => DfoRecord | undefined,
  rules: Rules
): ReadonlyArray<string> => {
  const duplicates = duplicateIds(population.people, rules)
  return population.people.flatMap((person) => {
    const before = population.dfoRecordOf(person)
    if (before === undefined || entryCheck(person, rules) !== undefined) return []
    if (duplicates.has(before.id)) return []
    return differences(person, before, holds(before.id), rules)
  })
}
