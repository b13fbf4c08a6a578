import type { Emulator } from "@dfo-writeback/dfo-emulator"
import type { UserResult } from "@dfo-writeback/domain"
import {
  canonicalId,
  type DfoRecord,
  differences as differencesUnder,
  duplicateIds,
  entryCheck,
  expectedAfter as expectedAfterUnder,
  expectedOutcomes,
  notConverged as notConvergedUnder,
  type Person,
  plainMix,
  Population,
  wanted as wantedOf,
  writtenIds as writtenIdsOf,
  wrongWrites as wrongWritesOf
} from "@dfo-writeback/population"
import { rules } from "./fixtures.js"

/**
 * A few hundred people from `@dfo-writeback/population` and DFØ's side of them, so every
 * answer of a run can be checked against what the directory says. The Portal LDAP side is
 * the plain mix, which the testbed loads from `{ users: count, seed }`; the DFØ side puts a
 * quarter of the people in each state so a run has plenty to write.
 */
export const seed = 11
export const count = 300
export const mix = plainMix
export const population = Population.make({
  count,
  seed,
  mix,
  dfo: { absent: 0.05, staleEpost: 0.24, empty: 0.24, otherBrukerident: 0.24 }
})
export const people = population.people

/** IAM's values by the default mapping (CONTRACT §1; `brukerident` is the employee number). */
export const wanted = wantedOf

/**
 * Passes checks 1–6 of CONTRACT §4 under the fixtures' rules and shares its employee id
 * with no other such entry (6a), so DFØ is asked.
 */
const duplicates = duplicateIds(people, rules)
export const eligible = (person: Person): boolean =>
  entryCheck(person, rules) === undefined &&
  !duplicates.has(canonicalId(person.payrollId as string))

/** What DFØ holds for a person before any run. */
export type DfoState = Population.DfoState

export const stateOf = (person: Person): DfoState => population.stateOf(person)

export const dfoRecordOf = (person: Person): DfoRecord | undefined => population.dfoRecordOf(person)

export const dfoRecords = (): ReadonlyArray<DfoRecord> => population.dfoRecords

/** People by `idautoPersonPayrollID` as the directory holds it. */
export const byPayrollId = new Map(
  people.flatMap((p) => (p.payrollId === undefined ? [] : [[p.payrollId, p] as const]))
)
export const byIdautoId = new Map(people.map((p) => [p.idautoId, p]))

/** Every person's outcome from a plain run under the fixtures' rules, by idautoID. */
export const expected = expectedOutcomes(people, dfoRecordOf, rules)

/**
 * What DFØ should hold for a person once written: IAM's values, except a brukerident DFØ
 * already had (write-once). `before` is DFØ's record before the run.
 */
export const expectedAfter = (person: Person, before: DfoRecord) =>
  expectedAfterUnder(person, before, rules)

/** Where DFØ's record differs from `expectedAfter`, as readable lines. */
export const differences = (person: Person, before: DfoRecord, now: DfoRecord | undefined) =>
  differencesUnder(person, before, now, rules)

/**
 * Every write (PUT) the emulator received (answered or not) that writes something other
 * than IAM's value, goes to a person the rules skip, or overwrites a brukerident DFØ held.
 */
export const wrongWrites = (emulator: Emulator): ReadonlyArray<string> =>
  wrongWritesOf(emulator.log(), population, rules)

/** The old name of `wrongWrites`, from when DFØ was written with PATCH. */
export const wrongPatches = wrongWrites

/** 8-digit ids answered 2xx to a write: DFØ holds what was sent. */
export const writtenIds = (emulator: Emulator): ReadonlySet<string> => writtenIdsOf(emulator.log())

/** Every eligible person DFØ knows whose record is not yet what it should be. */
export const notConverged = (emulator: Emulator): ReadonlyArray<string> =>
  notConvergedUnder(population, (id) => emulator.employee(id), rules)

/** Results by the person they belong to; fails on an entry with two results. */
export const resultsByPerson = (results: ReadonlyArray<UserResult>) => {
  const map = new Map<string, UserResult>()
  for (const result of results) {
    if (map.has(result.idautoId)) throw new Error(`two results for ${result.idautoId}`)
    map.set(result.idautoId, result)
  }
  return map
}
