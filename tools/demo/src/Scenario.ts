import { type Employee as DfoRecord, makeEmployee } from "@dfo-writeback/dfo-emulator"
import type { Employee as Person, TestbedEntry } from "@dfo-writeback/ldap-testbed"

/** What DFØ holds for a person, relative to what IAM has. */
export type DfoState =
  | "in-sync"
  | "stale-epost"
  | "missing-eksternident"
  | "missing-brukerident"
  | "other-brukerident"
  | "absent"

/** Shares of each state (the rest are in sync), as fractions of the people. */
export interface DfoMix {
  readonly staleEpost: number
  readonly missingEksternIdent: number
  readonly missingBrukerident: number
  readonly otherBrukerident: number
  readonly absent: number
}

export const demoMix: DfoMix = {
  staleEpost: 0.06,
  missingEksternIdent: 0.03,
  missingBrukerident: 0.03,
  otherBrukerident: 0.03,
  absent: 0.02
}

/** Only `share` of the people need a write (stale e-mail); for benchmarks. */
export const changeMix = (share: number): DfoMix => ({
  staleEpost: share,
  missingEksternIdent: 0,
  missingBrukerident: 0,
  otherBrukerident: 0,
  absent: 0
})

/** A stable spread over [0, 1) from the person's index, so the same people change each run. */
const spread = (index: number) => ((index * 2654435761) % 2 ** 32) / 2 ** 32

export const stateOf = (person: Person, mix: DfoMix): DfoState => {
  let x = spread(person.index)
  const states: ReadonlyArray<readonly [DfoState, number]> = [
    ["stale-epost", mix.staleEpost],
    ["missing-eksternident", mix.missingEksternIdent],
    ["missing-brukerident", mix.missingBrukerident],
    ["other-brukerident", mix.otherBrukerident],
    ["absent", mix.absent]
  ]
  for (const [state, share] of states) {
    if (x < share) return state
    x -= share
  }
  return "in-sync"
}

/**
 * DFØ's employees for the directory's people: realistic objects (the emulator's full
 * field set) holding IAM's values, except where the mix says otherwise.
 */
export const dfoEmployeesFor = (
  people: ReadonlyArray<Person>,
  mix: DfoMix
): ReadonlyArray<DfoRecord> => {
  const records: Array<DfoRecord> = []
  for (const person of people) {
    if (person.payrollId === undefined) continue
    const state = stateOf(person, mix)
    if (state === "absent") continue
    const eksternIdent = person.feideId ?? person.mail ?? null
    const epost = person.workEmail ?? person.mail ?? null
    const brukerident = person.username ?? person.uhUsername
    records.push(
      makeEmployee({
        id: person.payrollId,
        fornavn: person.givenName,
        etternavn: person.sn,
        eksternIdent: state === "missing-eksternident" ? null : eksternIdent,
        epost: state === "stale-epost" ? `old.${person.index}@gammel.uni.no` : epost,
        brukerident:
          state === "missing-brukerident"
            ? ""
            : state === "other-brukerident"
              ? `x${person.index}`.slice(0, 12)
              : brukerident
      })
    )
  }
  return records
}

/** Entries no generator mix produces: an employee id that is not digits. */
export const oddEntries: ReadonlyArray<TestbedEntry> = [
  {
    objectClass: ["top", "inetOrgPerson", "idautoPerson"],
    idautoID: "0d0d0d0d-0000-4000-8000-000000000001",
    cn: "Ola Ugyldig",
    sn: "Ugyldig",
    idautoPersonPayrollID: "12AB34",
    idautoPersonSystem1ID: "olaugy1",
    idautoPersonSAMAccountName: "olaugy1",
    idautoPersonSystem5ID: "olaugy1@uni.no",
    mail: "ola.ugyldig@uni.no",
    idautoDisabled: "FALSE",
    idautoPersonExtBool3: "FALSE",
    idautoPersonAppRoles2: "Active Directory"
  }
]
