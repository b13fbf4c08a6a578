import { type DfoRecord, makeDfoRecord } from "./DfoRecord.js"
import { random } from "./internal/random.js"
import {
  generatePeople,
  generatePerson,
  type LdapEntry,
  ldapEntryOf,
  nightMix,
  type Person,
  type PersonMix
} from "./Person.js"
import { canonicalId, entryCheck, wanted } from "./Rules.js"

/**
 * What DFØ holds for a person before any run, relative to IAM's values:
 * - `in-sync`: IAM's values (`eksternIdent` in upper case: it compares case-insensitively);
 * - `stale-epost`: an old work e-mail, so a run writes `epost`;
 * - `empty`: no `eksternIdent`, `epost` or `brukerident`, so a run writes all three;
 * - `other-brukerident`: in sync except a `brukerident` DFØ keeps (write-once);
 * - `absent`: no DFØ record (`NOT_IN_SAP`).
 */
export type DfoState = "in-sync" | "stale-epost" | "empty" | "other-brukerident" | "absent"

/** Shares (0–1) of people in each DFØ state; the rest are `in-sync`. */
export interface DfoMix {
  readonly staleEpost: number
  readonly empty: number
  readonly otherBrukerident: number
  readonly absent: number
}

/** A quiet night: a few percent to update, a few kept brukeridents, a few not in DFØ. */
export const nightDfoMix: DfoMix = {
  staleEpost: 0.02,
  empty: 0.01,
  otherBrukerident: 0.02,
  absent: 0.01
}

export interface PopulationOptions {
  readonly count: number
  /** Same seed, same people and DFØ records (default 1). */
  readonly seed?: number
  /** The Portal LDAP side (default `nightMix`). */
  readonly mix?: Partial<PersonMix>
  /** The DFØ side (default `nightDfoMix`). */
  readonly dfo?: Partial<DfoMix>
  readonly domain?: string
  readonly firstPayrollId?: number
  /**
   * Employees DFØ holds who have no directory entry (default 0): people `count` to
   * `count + dfoOnly − 1`, each with an in-sync record under the next payroll ids, so
   * DFØ's list is larger than the directory, as at a university where most staff have no
   * account. They are not in `people` or `entries`.
   */
  readonly dfoOnly?: number
}

/** People with both their Portal LDAP entry and their DFØ record, from one seed. */
export interface Population {
  readonly seed: number
  readonly count: number
  readonly mix: PersonMix
  readonly dfoMix: DfoMix
  readonly people: ReadonlyArray<Person>
  /** The entries the testbed loads, one per person. */
  readonly entries: ReadonlyArray<LdapEntry>
  /**
   * Every DFØ record, one per 8-digit id (the first person holding an id gives it), then
   * the `dfoOnly` records of people without a directory entry.
   */
  readonly dfoRecords: ReadonlyArray<DfoRecord>
  readonly stateOf: (person: Person) => DfoState
  /** The record DFØ holds under the person's payroll id before any run, if any. */
  readonly dfoRecordOf: (person: Person) => DfoRecord | undefined
}

// The DFØ state draws from its own stream, so changing the DFØ mix keeps the people.
const DFO_STREAM = 0x0df0

const drawState = (seed: number, index: number, mix: DfoMix): DfoState => {
  let x = random(seed ^ DFO_STREAM, index).next()
  const states: ReadonlyArray<readonly [DfoState, number]> = [
    ["stale-epost", mix.staleEpost],
    ["empty", mix.empty],
    ["other-brukerident", mix.otherBrukerident],
    ["absent", mix.absent]
  ]
  for (const [state, share] of states) {
    if (x < share) return state
    x -= share
  }
  return "in-sync"
}

/** DFØ's record for a person in a state: realistic fields around IAM's values. */
const recordFor = (person: Person, id: string, state: DfoState): DfoRecord => {
  const values = wanted(person)
  const upper = values.eksternIdent?.toUpperCase() ?? null
  return makeDfoRecord({
    id,
    fornavn: person.givenName,
    etternavn: person.sn,
    eksternIdent: state === "empty" ? null : upper,
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
          ? `x${person.index}`.slice(0, 10)
          : (values.brukerident ?? null)
  })
}

/** Generates a population: the same options always give the same people and records. */
export const make = (options: PopulationOptions): Population => {
  const seed = options.seed ?? 1
  const mix: PersonMix = { ...nightMix, ...options.mix }
  const dfoMix: DfoMix = { ...nightDfoMix, ...options.dfo }
  const people = generatePeople({
    count: options.count,
    seed,
    mix,
    ...(options.domain === undefined ? {} : { domain: options.domain }),
    ...(options.firstPayrollId === undefined ? {} : { firstPayrollId: options.firstPayrollId })
  })
  const states = people.map((person) => drawState(seed, person.index, dfoMix))
  const stateOf = (person: Person): DfoState => states[person.index] ?? "absent"
  // Where several entries share a payroll id, DFØ's one record is the person's who passes
  // the entry checks (the employee IAM writes for), so "in sync" means in sync for them.
  const owner = new Map<string, Person>()
  const passes = (person: Person) =>
    entryCheck(person, { writebackBrukerident: false, businessRoleExceptions: [] }) === undefined
  for (const person of people) {
    if (person.payrollId === undefined) continue
    const id = canonicalId(person.payrollId)
    const current = owner.get(id)
    if (current === undefined || (!passes(current) && passes(person))) owner.set(id, person)
  }
  const records = new Map<string, DfoRecord>()
  for (const [id, person] of owner) {
    const state = stateOf(person)
    if (state !== "absent") records.set(id, recordFor(person, id, state))
  }
  // Their ids follow the directory's, so they never meet a directory person's record; every
  // one gets a record whatever its person's draws, so DFØ holds exactly `dfoOnly` more.
  const firstPayrollId = options.firstPayrollId ?? 100000
  const dfoOnly = Array.from({ length: options.dfoOnly ?? 0 }, (_, i) => {
    const index = options.count + i
    const person = generatePerson(index, {
      seed,
      mix,
      ...(options.domain === undefined ? {} : { domain: options.domain }),
      firstPayrollId
    })
    return recordFor(person, canonicalId(String(firstPayrollId + index)), "in-sync")
  })
  return {
    seed,
    count: options.count,
    mix,
    dfoMix,
    people,
    entries: people.map(ldapEntryOf),
    dfoRecords: [...records.values(), ...dfoOnly],
    stateOf,
    dfoRecordOf: (person) =>
      person.payrollId === undefined ? undefined : records.get(canonicalId(person.payrollId))
  }
}
