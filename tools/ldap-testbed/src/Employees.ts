import { ascii, givenNames, surnames } from "./internal/names.js"
import { random } from "./internal/random.js"

/** The base DN the accounts live under (CONTRACT §2). */
export const accountsDn = "ou=Accounts,dc=meta"

/** The value in `idautoPersonAppRoles2`/`6` that entitles an account to Active Directory. */
export const adEntitlement = "Active Directory"

/**
 * How often each special case occurs, as probabilities in [0, 1]. Each person draws every
 * case independently from its own seeded stream.
 */
export interface EmployeeMix {
  /** `idautoDisabled: TRUE` (the rest carry `FALSE`). */
  readonly disabled: number
  /** `idautoPersonExtBool3: TRUE`, the deletion flag. */
  readonly deleted: number
  /** Neither `idautoPersonAppRoles2` nor `idautoPersonAppRoles6` holds "Active Directory". */
  readonly notEntitled: number
  /** Entitled through `idautoPersonAppRoles6` (requested) rather than `2` (birthright). */
  readonly requestedEntitlement: number
  /** No `idautoPersonPayrollID`. */
  readonly missingPayrollId: number
  /** No `idautoPersonSystem1ID`: brukerident falls back to `idautoPersonSAMAccountName`. */
  readonly missingUsername: number
  /** No `idautoPersonSystem5ID`: eksternIdent falls back to `mail`. */
  readonly missingFeideId: number
  /** No `idautoPersonSystem2ID`: epost falls back to `mail`. */
  readonly missingWorkEmail: number
  /** No `mail`. */
  readonly missingMail: number
  /** Business roles (`idautoPersonAppRoles10`), each given with its own probability. */
  readonly businessRoles: ReadonlyArray<{ readonly role: string; readonly share: number }>
}

export const defaultMix: EmployeeMix = {
  disabled: 0.05,
  deleted: 0.02,
  notEntitled: 0.08,
  requestedEntitlement: 0.15,
  missingPayrollId: 0.02,
  missingUsername: 0.02,
  missingFeideId: 0.03,
  missingWorkEmail: 0.03,
  missingMail: 0.01,
  businessRoles: [
    { role: "iam:employee", share: 0.97 },
    { role: "iam:affiliate", share: 0.04 },
    { role: "iam:external", share: 0.02 }
  ]
}

export interface GenerateOptions {
  readonly count: number
  /** Same seed, same people (default 1). */
  readonly seed?: number
  readonly mix?: Partial<EmployeeMix>
  /** Mail and Feide domain (default `uni.no`). */
  readonly domain?: string
  /** First payroll id; person `i` gets `firstPayrollId + i`, 8 digits (default 100000). */
  readonly firstPayrollId?: number
}

/** One generated person: the values of their Portal LDAP entry, absent ones left out. */
export interface Employee {
  readonly index: number
  readonly dn: string
  readonly idautoId: string
  readonly givenName: string
  readonly sn: string
  readonly cn: string
  readonly mail?: string
  /** `idautoPersonPayrollID`: DFØ's ansatt id, 8 digits with leading zeros. */
  readonly payrollId?: string
  /** `idautoPersonSystem1ID`. */
  readonly username?: string
  /** `idautoPersonSAMAccountName`. */
  readonly uhUsername: string
  /** `idautoPersonSystem5ID`. */
  readonly feideId?: string
  /** `idautoPersonSystem2ID`. */
  readonly workEmail?: string
  readonly disabled: boolean
  readonly deleted: boolean
  readonly entitledToAd: boolean
  /** `idautoPersonAppRoles2`. */
  readonly birthrightEntitlements: ReadonlyArray<string>
  /** `idautoPersonAppRoles6`. */
  readonly requestedEntitlements: ReadonlyArray<string>
  /** `idautoPersonAppRoles10`. */
  readonly businessRoles: ReadonlyArray<string>
}

const otherEntitlements = ["Office 365", "Canvas", "Zoom", "VPN", "Eduroam"]

/** Generates one person; the same (seed, index) always gives the same person. */
export const generateEmployee = (
  index: number,
  options: Omit<GenerateOptions, "count"> = {}
): Employee => {
  const mix: EmployeeMix = { ...defaultMix, ...options.mix }
  const domain = options.domain ?? "uni.no"
  const rng = random(options.seed ?? 1, index)
  const idautoId = rng.uuid()
  const givenName = rng.pick(givenNames)
  const sn = rng.pick(surnames)
  const login = `${ascii(givenName).slice(0, 3)}${ascii(sn).slice(0, 3)}${index}`
  const mail = `${ascii(givenName)}.${ascii(sn)}${index}@${domain}`
  const disabled = rng.chance(mix.disabled)
  const deleted = rng.chance(mix.deleted)
  const entitledToAd = !rng.chance(mix.notEntitled)
  const requested = rng.chance(mix.requestedEntitlement)
  const extra = otherEntitlements.filter(() => rng.chance(0.3))
  const birthright = entitledToAd && !requested ? [adEntitlement, ...extra] : extra
  const requestedEntitlements = entitledToAd && requested ? [adEntitlement] : []
  const businessRoles = mix.businessRoles.filter((r) => rng.chance(r.share)).map((r) => r.role)
  const missingPayrollId = rng.chance(mix.missingPayrollId)
  const missingUsername = rng.chance(mix.missingUsername)
  const missingFeideId = rng.chance(mix.missingFeideId)
  const missingWorkEmail = rng.chance(mix.missingWorkEmail)
  const missingMail = rng.chance(mix.missingMail)
  const employee: Employee = {
    index,
    dn: `idautoID=${idautoId},${accountsDn}`,
    idautoId,
    givenName,
    sn,
    cn: `${givenName} ${sn}`,
    ...(missingMail ? {} : { mail }),
    ...(missingPayrollId
      ? {}
      : { payrollId: String((options.firstPayrollId ?? 100000) + index).padStart(8, "0") }),
    ...(missingUsername ? {} : { username: login }),
    uhUsername: login,
    ...(missingFeideId ? {} : { feideId: `${login}@${domain}` }),
    ...(missingWorkEmail ? {} : { workEmail: mail }),
    disabled,
    deleted,
    entitledToAd,
    birthrightEntitlements: birthright,
    requestedEntitlements,
    businessRoles
  }
  return employee
}

/**
 * `count` RapidIdentity-shaped people, reproducible from `seed`, for seeding the directory
 * and deriving matching DFØ data (demo, emulator, benchmarks).
 */
export const generateEmployees = (options: GenerateOptions): ReadonlyArray<Employee> =>
  Array.from({ length: options.count }, (_, index) => generateEmployee(index, options))

/** An LDAP entry: its DN (optional where it can be derived) and each attribute's values. */
export type TestbedEntry = { readonly dn?: string } & {
  readonly [attribute: string]: string | ReadonlyArray<string>
}

/** A person as the directory entry the testbed loads. */
export const employeeEntry = (employee: Employee): TestbedEntry => {
  const entry: Record<string, string | ReadonlyArray<string>> = {
    dn: employee.dn,
    objectClass: ["top", "inetOrgPerson", "idautoPerson"],
    idautoID: employee.idautoId,
    cn: employee.cn,
    sn: employee.sn,
    givenName: employee.givenName,
    idautoPersonSAMAccountName: employee.uhUsername,
    idautoDisabled: employee.disabled ? "TRUE" : "FALSE",
    idautoPersonExtBool3: employee.deleted ? "TRUE" : "FALSE"
  }
  const optional: ReadonlyArray<readonly [string, string | ReadonlyArray<string> | undefined]> = [
    ["mail", employee.mail],
    ["idautoPersonPayrollID", employee.payrollId],
    ["idautoPersonSystem1ID", employee.username],
    ["idautoPersonSystem5ID", employee.feideId],
    ["idautoPersonSystem2ID", employee.workEmail],
    ["idautoPersonAppRoles2", employee.birthrightEntitlements],
    ["idautoPersonAppRoles6", employee.requestedEntitlements],
    ["idautoPersonAppRoles10", employee.businessRoles]
  ]
  for (const [name, value] of optional) {
    if (value !== undefined && value.length > 0) entry[name] = value
  }
  return entry
}
