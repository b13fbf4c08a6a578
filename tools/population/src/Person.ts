import { ascii, givenNames, surnames } from "./internal/names.js"
import { random } from "./internal/random.js"

/** The base DN the accounts live under (CONTRACT §2). */
export const accountsDn = "ou=Accounts,dc=meta"

/** The value in `idautoPersonAppRoles2`/`6` that entitles an account to Active Directory. */
export const adEntitlement = "Active Directory"

/**
 * How often each special case of a Portal LDAP entry occurs, as probabilities in [0, 1].
 * Each person draws every case independently from its own seeded stream; the cases added
 * last (`unpadded`, `duplicate`, `multiValued`) draw last, so a mix without them gives the
 * same people as before they existed.
 */
export interface PersonMix {
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
  /** No `idautoPersonSystem1ID` (the username; not a source of a written value). */
  readonly missingUsername: number
  /** No `idautoPersonSystem5ID`: eksternIdent falls back to `mail`. */
  readonly missingFeideId: number
  /** No `idautoPersonSystem2ID`: epost has no other source, so the entry lacks an attribute. */
  readonly missingWorkEmail: number
  /** No `mail`. */
  readonly missingMail: number
  /** Business roles (`idautoPersonAppRoles10`), each given with its own probability. */
  readonly businessRoles: ReadonlyArray<{ readonly role: string; readonly share: number }>
  /** `idautoPersonPayrollID` without leading zeros (`100042` where DFØ has `00100042`). */
  readonly unpadded: number
  /** Holds the payroll id of the person before it (index − 1): two entries, one DFØ record. */
  readonly duplicate: number
  /** One source attribute (payroll id, Feide ID or work e-mail) holds two values. */
  readonly multiValued: number
}

/** Today's directory without the hard cases: what `LdapTestbed.start({ users })` loads. */
export const plainMix: PersonMix = {
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
  ],
  unpadded: 0,
  duplicate: 0,
  multiValued: 0
}

/**
 * A realistic directory: the plain mix plus payroll ids without leading zeros, a few
 * entries sharing a payroll id and a few multi-valued source attributes.
 */
export const nightMix: PersonMix = {
  ...plainMix,
  unpadded: 0.3,
  duplicate: 0.01,
  multiValued: 0.01
}

/** A source attribute a person may hold twice. */
export type MultiValuedAttribute =
  "idautoPersonPayrollID" | "idautoPersonSystem5ID" | "idautoPersonSystem2ID"

export interface PersonOptions {
  /** Same seed, same people (default 1). */
  readonly seed?: number
  readonly mix?: Partial<PersonMix>
  /** Mail and Feide domain (default `uni.no`). */
  readonly domain?: string
  /** First payroll id; person `i` gets `firstPayrollId + i` (default 100000). */
  readonly firstPayrollId?: number
}

/** One generated person: the values of their Portal LDAP entry, absent ones left out. */
export interface Person {
  readonly index: number
  readonly dn: string
  readonly idautoId: string
  readonly givenName: string
  readonly sn: string
  readonly cn: string
  readonly mail?: string
  /**
   * `idautoPersonPayrollID` (its first value when multi-valued): DFØ's ansatt id, 8 digits
   * with leading zeros, or without them when the mix says `unpadded`.
   */
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
  /** Set when one attribute holds several values; `values` starts with the one above. */
  readonly multiValued?: {
    readonly attribute: MultiValuedAttribute
    readonly values: ReadonlyArray<string>
  }
}

const otherEntitlements = ["Office 365", "Canvas", "Zoom", "VPN", "Eduroam"]

const payrollIdOf = (n: number, unpadded: boolean) =>
  unpadded ? String(n) : String(n).padStart(8, "0")

/** Generates one person; the same (seed, index, mix) always gives the same person. */
export const generatePerson = (index: number, options: PersonOptions = {}): Person => {
  const mix: PersonMix = { ...plainMix, ...options.mix }
  const domain = options.domain ?? "uni.no"
  const firstPayrollId = options.firstPayrollId ?? 100000
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
  // The hard cases draw only when asked for, so the plain mix keeps every earlier person.
  const unpadded = mix.unpadded > 0 && rng.chance(mix.unpadded)
  const duplicate = mix.duplicate > 0 && index > 0 && rng.chance(mix.duplicate)
  const multiValued = mix.multiValued > 0 && rng.chance(mix.multiValued)
  const number = firstPayrollId + index - (duplicate ? 1 : 0)
  const payrollId = missingPayrollId ? undefined : payrollIdOf(number, unpadded)
  const feideId = missingFeideId ? undefined : `${login}@${domain}`
  const workEmail = missingWorkEmail ? undefined : mail
  const person: Person = {
    index,
    dn: `idautoID=${idautoId},${accountsDn}`,
    idautoId,
    givenName,
    sn,
    cn: `${givenName} ${sn}`,
    ...(missingMail ? {} : { mail }),
    ...(payrollId === undefined ? {} : { payrollId }),
    ...(missingUsername ? {} : { username: login }),
    uhUsername: login,
    ...(feideId === undefined ? {} : { feideId }),
    ...(workEmail === undefined ? {} : { workEmail }),
    disabled,
    deleted,
    entitledToAd,
    birthrightEntitlements: birthright,
    requestedEntitlements,
    businessRoles
  }
  if (!multiValued) return person
  // A second value in one of the attributes the person has: LDAP does not order them.
  const candidates: ReadonlyArray<readonly [MultiValuedAttribute, string | undefined, string]> = [
    ["idautoPersonPayrollID", payrollId, payrollIdOf(number + 500_000, unpadded)],
    ["idautoPersonSystem5ID", feideId, `${login}@alumni.${domain}`],
    ["idautoPersonSystem2ID", workEmail, `${ascii(givenName)}${index}@post.${domain}`]
  ]
  const present = candidates.filter(([, value]) => value !== undefined)
  if (present.length === 0) return person
  const [attribute, first, second] = rng.pick(present)
  return { ...person, multiValued: { attribute, values: [first as string, second] } }
}

/** `count` people, person `i` from `generatePerson(i, options)`. */
export const generatePeople = (
  options: PersonOptions & { readonly count: number }
): ReadonlyArray<Person> =>
  Array.from({ length: options.count }, (_, index) => generatePerson(index, options))

/** An LDAP entry: its DN (optional where it can be derived) and each attribute's values. */
export type LdapEntry = { readonly dn?: string } & {
  readonly [attribute: string]: string | ReadonlyArray<string>
}

/** A person as their Portal LDAP entry (RapidIdentity's attribute names). */
export const ldapEntryOf = (person: Person): LdapEntry => {
  const entry: Record<string, string | ReadonlyArray<string>> = {
    dn: person.dn,
    objectClass: ["top", "inetOrgPerson", "idautoPerson"],
    idautoID: person.idautoId,
    cn: person.cn,
    sn: person.sn,
    givenName: person.givenName,
    idautoPersonSAMAccountName: person.uhUsername,
    idautoDisabled: person.disabled ? "TRUE" : "FALSE",
    idautoPersonExtBool3: person.deleted ? "TRUE" : "FALSE"
  }
  const optional: ReadonlyArray<readonly [string, string | ReadonlyArray<string> | undefined]> = [
    ["mail", person.mail],
    ["idautoPersonPayrollID", person.payrollId],
    ["idautoPersonSystem1ID", person.username],
    ["idautoPersonSystem5ID", person.feideId],
    ["idautoPersonSystem2ID", person.workEmail],
    ["idautoPersonAppRoles2", person.birthrightEntitlements],
    ["idautoPersonAppRoles6", person.requestedEntitlements],
    ["idautoPersonAppRoles10", person.businessRoles]
  ]
  for (const [name, value] of optional) {
    if (value !== undefined && value.length > 0) entry[name] = value
  }
  if (person.multiValued !== undefined) {
    entry[person.multiValued.attribute] = person.multiValued.values
  }
  return entry
}
