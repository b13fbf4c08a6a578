// The testbed's names for the population's people (`@dfo-writeback/population`), kept so
// suites written against the testbed read on. `generateEmployees` is the plain mix:
// no unpadded, shared or multi-valued payroll ids unless `mix` asks for them.
import {
  accountsDn,
  adEntitlement,
  generatePeople,
  generatePerson,
  type LdapEntry,
  ldapEntryOf,
  type Person,
  type PersonMix,
  type PersonOptions,
  plainMix
} from "@dfo-writeback/population"

export { accountsDn, adEntitlement }

/** How often each special case occurs (the population's `PersonMix`). */
export type EmployeeMix = PersonMix

/** The plain mix: today's directory without the hard cases. */
export const defaultMix: EmployeeMix = plainMix

export interface GenerateOptions extends PersonOptions {
  readonly count: number
}

/** One generated person: the values of their Portal LDAP entry, absent ones left out. */
export type Employee = Person

/** Generates one person; the same (seed, index) always gives the same person. */
export const generateEmployee = (
  index: number,
  options: Omit<GenerateOptions, "count"> = {}
): Employee => generatePerson(index, options)

/** `count` people, reproducible from `seed` (the population's people, plain mix by default). */
export const generateEmployees = (options: GenerateOptions): ReadonlyArray<Employee> =>
  generatePeople(options)

/** An LDAP entry: its DN (optional where it can be derived) and each attribute's values. */
export type TestbedEntry = LdapEntry

/** A person as the directory entry the testbed loads. */
export const employeeEntry: (employee: Employee) => TestbedEntry = ldapEntryOf
