import { Either } from "effect"
import type { AttributeMapping } from "./AttributeMapping.js"
import { type DfoField, fieldLimits } from "./DfoEmployee.js"
import { claimedEmployeeKeys, readEmployeeId } from "./EmployeeIdRule.js"
import type { PortalUser } from "./PortalUser.js"
import type { SkipReason } from "./WritebackEvent.js"
import type { WritebackRecord } from "./WritebackRecord.js"
import type { WritebackRules } from "./WritebackRules.js"

/** A user that passed checks 1–6 of CONTRACT §4, with the values to write. */
export interface Eligible {
  readonly sapId: string
  readonly record: WritebackRecord
}

/** A user stopped by one of checks 1–6. */
export interface Ineligible {
  readonly reason: SkipReason
  readonly message: string
}

const clip = (text: string, max = 40) => (text.length > max ? `${text.slice(0, max)}…` : text)

const skip = (reason: SkipReason, message: string) => Either.left<Ineligible>({ reason, message })
const normalized = (text: string) => text.trim().toLowerCase()
const sameText = (a: string, b: string) => normalized(a) === normalized(b)

// C0 and C1 control characters, DEL included: never part of an identifier or an address.
// eslint-disable-next-line no-control-regex
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/

/**
 * Check 4's problems with one value to write: longer than DFØ allows, or holding a
 * control character. The message names the DFØ field, the source attributes and the limit.
 */
const valueProblems = (
  field: DfoField,
  value: string,
  sources: ReadonlyArray<string>
): ReadonlyArray<string> => {
  const tooLong = value.length > fieldLimits[field]
  const control = controlCharacter.test(value)
  // Most values have no problem: their message is built only when needed.
  if (!tooLong && !control) return none
  const named = `${field} (${sources.join(" or ")})`
  const problems: Array<string> = []
  if (tooLong) {
    problems.push(
      `${named} is ${value.length} characters; DFØ allows at most ${fieldLimits[field]}`
    )
  }
  if (control) problems.push(`${named} holds a control character`)
  return problems
}

const none: ReadonlyArray<never> = []

/** Check 4's refusal of attributes holding several distinct values (unordered in LDAP). */
const multiValuedProblems = (user: PortalUser, writesBrukerident: boolean) =>
  user.multiValued
    .filter((m) => m.field !== "brukerident" || writesBrukerident)
    .map(
      (m) =>
        `${m.attribute} has ${m.count} values (${m.field === "sapId" ? "the employee id" : m.field}); ` +
        `LDAP does not order values, so none is chosen`
    )

/** The attributes a user lacks, each named once (by default the employee id and brukerident share one). */
const missingNames = (user: PortalUser, mapping: AttributeMapping, lacksBrukerident: boolean) => {
  const missing = [
    user.idautoId === undefined ? mapping.idautoId : undefined,
    user.sapId === undefined ? mapping.sapId : undefined,
    user.eksternIdent === undefined ? mapping.eksternIdent.join(" or ") : undefined,
    user.epost === undefined ? mapping.epost.join(" or ") : undefined,
    lacksBrukerident ? mapping.brukerident.join(" or ") : undefined
  ].filter((name) => name !== undefined)
  return [...new Set(missing)].join(", ")
}

/**
 * Checks 1–6 of CONTRACT §4 in order; the first that applies decides. The mapping
 * supplies the AD entitlement value and the attribute names an operator sees in
 * skip messages.
 */
export const checkEligibility = (
  user: PortalUser,
  rules: WritebackRules,
  mapping: AttributeMapping
): Either.Either<Eligible, Ineligible> => {
  if (user.deleted) return skip("DELETED", `account is flagged for deletion (${mapping.deleted})`)
  if (user.disabled) return skip("DISABLED", `account is disabled (${mapping.disabled})`)

  const lacksBrukerident = rules.writebackBrukerident && user.brukerident === undefined
  if (
    user.idautoId === undefined ||
    user.sapId === undefined ||
    user.eksternIdent === undefined ||
    user.epost === undefined ||
    lacksBrukerident
  ) {
    return skip("MISSING_ATTRIBUTES", `missing ${missingNames(user, mapping, lacksBrukerident)}`)
  }

  const writesBrukerident = rules.writebackBrukerident && user.brukerident !== undefined
  const heldId = user.sapId
  const sapId = readEmployeeId(heldId)
  const invalid = [
    ...(user.multiValued.length === 0 ? none : multiValuedProblems(user, writesBrukerident)),
    ...(Either.isRight(sapId)
      ? none
      : [
          `employee id ${JSON.stringify(clip(heldId))} (${mapping.sapId}) is not 1–8 digits ` +
            `with at most spaces around them: it ${sapId.left}`
        ]),
    ...valueProblems("eksternIdent", user.eksternIdent, mapping.eksternIdent),
    ...valueProblems("epost", user.epost, mapping.epost),
    ...(writesBrukerident && user.brukerident !== undefined
      ? valueProblems("brukerident", user.brukerident, mapping.brukerident)
      : none)
  ]
  if (invalid.length > 0) return skip("INVALID_ATTRIBUTES", invalid.join("; "))
  const entitlement = normalized(mapping.adEntitlement)
  if (!user.entitlements.some((e) => normalized(e) === entitlement)) {
    return skip("NOT_ENTITLED_AD", `not entitled to ${mapping.adEntitlement}`)
  }
  const exception = user.businessRoles.find((role) =>
    rules.businessRoleExceptions.some((excepted) => sameText(role, excepted))
  )
  if (exception !== undefined) {
    return skip("BUSINESS_ROLE_EXCEPTION", `has business role ${exception}`)
  }

  return Either.right({
    sapId: Either.getOrElse(sapId, () => heldId),
    record: {
      eksternIdent: user.eksternIdent,
      epost: user.epost,
      ...(writesBrukerident && user.brukerident !== undefined
        ? { brukerident: user.brukerident }
        : {})
    }
  })
}

/**
 * The employee keys an entry claims for check 6a: those of an entry that passes checks 1–6,
 * and of one whose employee id alone breaks the rule but holds the same digits (`100001`
 * and a TAB). Which of two such entries means the employee is unknown, so neither is
 * written. An entry stopped for any other reason claims nothing.
 */
export const claimedKeys = (
  user: PortalUser,
  rules: WritebackRules,
  mapping: AttributeMapping
): ReadonlyArray<string> => {
  if (user.sapId === undefined) return []
  const keys = claimedEmployeeKeys(user.sapId)
  if (keys.length === 0) return []
  // No check but the id's form reads the id's value: a well-formed stand-in decides the rest.
  return Either.isRight(checkEligibility({ ...user, sapId: "0" }, rules, mapping)) ? keys : []
}
