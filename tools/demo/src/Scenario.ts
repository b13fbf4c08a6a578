// The demo's directory and DFØ: one night of the shared population, and the hard cases it
// holds, found rather than hand-made so the demo shows what the tests and benchmarks meet.
import type { LdapEntry, Person, Rules } from "@dfo-writeback/population"
import { canonicalId, expectedOutcomes, Population, wanted } from "@dfo-writeback/population"

/** The demo's settings that change an outcome (the CLI gets the same ones). */
export const rules: Rules = { writebackBrukerident: true, businessRoleExceptions: ["iam:external"] }

/** 200 people on a quiet night: a few to update, and every kind of skip. */
export const population = Population.make({ count: 200, seed: 1 })

/** An entry no population produces: an employee id that is not digits. */
export const oddEntries: ReadonlyArray<LdapEntry> = [
  {
    objectClass: ["top", "inetOrgPerson", "idautoPerson"],
    idautoID: "0d0d0d0d-0000-4000-8000-000000000001",
    cn: "Ola Ugyldig",
    sn: "Ugyldig",
    idautoPersonPayrollID: "12AB34",
    idautoPersonSystem1ID: "olaugy1",
    idautoPersonSAMAccountName: "olaugy1",
    idautoPersonSystem5ID: "olaugy1@uni.no",
    idautoPersonSystem2ID: "ola.ugyldig@uni.no",
    mail: "olaugy1@uni.no",
    idautoDisabled: "FALSE",
    idautoPersonExtBool3: "FALSE",
    idautoPersonAppRoles2: "Active Directory"
  }
]

/** Each person's outcome from the real run, as the population's rules predict it. */
export const expected = expectedOutcomes(population.people, population.dfoRecordOf, rules)

const outcomeOf = (person: Person) => {
  const e = expected.get(person.idautoId)
  return e === undefined ? "?" : e.outcome === "SKIPPED" ? `SKIPPED / ${e.reason}` : e.outcome
}

/** The hard cases the demo's directory holds, one example of each. */
export const hardCases = () => {
  const people = population.people
  const unpadded =
    people.find(
      (p) =>
        p.payrollId !== undefined &&
        p.payrollId.length < 8 &&
        expected.get(p.idautoId)?.outcome === "UPDATED"
    ) ?? people.find((p) => p.payrollId !== undefined && p.payrollId.length < 8)
  const duplicate = people.find(
    (p) =>
      expected.get(p.idautoId)?.outcome === "SKIPPED" &&
      (expected.get(p.idautoId) as { reason: string }).reason === "DUPLICATE_EMPLOYEE_ID"
  )
  const twins =
    duplicate === undefined
      ? []
      : people.filter(
          (p) =>
            p.payrollId !== undefined &&
            canonicalId(p.payrollId) === canonicalId(duplicate.payrollId as string)
        )
  const multiValued = people.find(
    (p) => p.multiValued !== undefined && expected.get(p.idautoId)?.outcome === "SKIPPED"
  )
  return { unpadded, twins, multiValued }
}

/** Lines telling where each value comes from and which hard cases the run meets. */
export const explain = (): ReadonlyArray<string> => {
  const { unpadded, twins, multiValued } = hardCases()
  const lines = [
    "Where DFØ's values come from (Portal LDAP attribute → DFØ field):",
    "  idautoPersonSystem5ID (else mail)        → eksternIdent (the Feide ID)",
    "  idautoPersonSystem2ID                    → epost (no fallback: mail holds the Feide ID)",
    "  idautoPersonPayrollID (employee number)  → the DFØ employee id, and brukerident",
    "                                             (write-once: only where DFØ holds none)"
  ]
  const writesBrukerident = population.people.filter((p) => {
    const e = expected.get(p.idautoId)
    return e?.outcome === "UPDATED" && e.changes.brukerident !== undefined
  })
  // Preferably one whose employee number lacks the leading zeros DFØ's id has.
  const example =
    writesBrukerident.find((p) => (p.payrollId ?? "").length < 8) ?? writesBrukerident[0]
  if (example !== undefined) {
    lines.push(
      `  e.g. ${example.cn}: employee number ${example.payrollId} → DFØ employee ` +
        `${canonicalId(example.payrollId as string)}, brukerident "${wanted(example).brukerident}"`
    )
  }
  lines.push("Hard cases in this directory:")
  if (unpadded !== undefined) {
    lines.push(
      `  ${unpadded.cn}: employee number ${unpadded.payrollId} without leading zeros, ` +
        `DFØ's ${canonicalId(unpadded.payrollId as string)} (${outcomeOf(unpadded)})`
    )
  }
  if (twins.length > 1) {
    lines.push(
      `  ${twins.map((p) => p.cn).join(" and ")} share employee number ` +
        `${canonicalId(twins[0]?.payrollId as string)}: nothing is written for it ` +
        `(${twins.map(outcomeOf).join(", ")})`
    )
  }
  if (multiValued?.multiValued !== undefined) {
    lines.push(
      `  ${multiValued.cn}: ${multiValued.multiValued.attribute} holds ` +
        `${multiValued.multiValued.values.join(" and ")} (${outcomeOf(multiValued)})`
    )
  }
  lines.push(
    `  ${oddEntries.length} entry with an employee id that is not digits (SKIPPED / INVALID_ATTRIBUTES)`
  )
  const updates = [...expected.values()].filter((e) => e.outcome === "UPDATED").length
  lines.push(`The population's rules expect ${updates} updates of ${population.count} people.`)
  return lines
}
