import { Either } from "effect"
import type { AttributeMapping } from "./AttributeMapping.js"
import { isEmployeeId } from "./DfoEmployee.js"
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

const skip = (reason: SkipReason, message: string) => Either.left<Ineligible>({ reason, message })
const sameText = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase()

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

  const missing = [
    user.idautoId === undefined ? mapping.idautoId : undefined,
    user.sapId === undefined ? mapping.sapId : undefined,
    user.eksternIdent === undefined ? mapping.eksternIdent.join(" or ") : undefined,
    user.epost === undefined ? mapping.epost.join(" or ") : undefined,
    rules.writebackBrukerident && user.brukerident === undefined
      ? mapping.brukerident.join(" or ")
      : undefined
  ].filter((name) => name !== undefined)
  if (
    missing.length > 0 ||
    user.sapId === undefined ||
    user.eksternIdent === undefined ||
    user.epost === undefined
  ) {
    return skip("MISSING_ATTRIBUTES", `missing ${missing.join(", ")}`)
  }

  if (!isEmployeeId(user.sapId)) {
    return skip(
      "INVALID_ATTRIBUTES",
      `employee id ${JSON.stringify(user.sapId)} (${mapping.sapId}) is not 1–12 digits`
    )
  }
  if (!user.entitlements.some((e) => sameText(e, mapping.adEntitlement))) {
    return skip("NOT_ENTITLED_AD", `not entitled to ${mapping.adEntitlement}`)
  }
  const exception = user.businessRoles.find((role) =>
    rules.businessRoleExceptions.some((excepted) => sameText(role, excepted))
  )
  if (exception !== undefined) {
    return skip("BUSINESS_ROLE_EXCEPTION", `has business role ${exception}`)
  }

  return Either.right({
    sapId: user.sapId,
    record: {
      eksternIdent: user.eksternIdent,
      epost: user.epost,
      ...(rules.writebackBrukerident && user.brukerident !== undefined
        ? { brukerident: user.brukerident }
        : {})
    }
  })
}
