import { Either } from "effect"
import { employeeKey } from "./DfoEmployee.js"

/**
 * The one rule for an employee id as the Portal LDAP holds it (CONTRACT §1, §4 check 4),
 * used by every path that reads one: a full run's claim pass, the single-user search for
 * others claiming an employee, eligibility and apply.
 *
 * An id is 1–8 ASCII digits with at most ASCII spaces around them (LDAP itself ignores
 * those). `trim()` is not the rule: it also removes a TAB, CR, LF, a byte-order mark or
 * U+2028, which LDAP's matching keeps, so a search by id would miss such an entry while a
 * run that trimmed it counted it.
 */
const wellFormed = /^ *([0-9]{1,8}) *$/

/** A directory value without the spaces around it: all the rule lets surround an id. */
export const withoutSpaces = (raw: string): string => raw.replace(/^ +| +$/g, "")

const describe = (character: string): string => {
  const code = character.codePointAt(0) ?? 0
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`
  return code > 0x20 && code < 0x7f ? `"${character}" (${hex})` : hex
}

/**
 * The id a directory value holds (its digits, spaces removed), or why it is none; the
 * reason names the first offending character by code point, never as raw text.
 */
export const readEmployeeId = (raw: string): Either.Either<string, string> => {
  const digits = wellFormed.exec(raw)?.[1]
  if (digits !== undefined) return Either.right(digits)
  const stray = /[^0-9 ]/u.exec(raw)
  if (stray !== null)
    return Either.left(`holds ${describe(stray[0])} at character ${stray.index + 1}`)
  const inner = withoutSpaces(raw)
  return Either.left(
    inner === ""
      ? "is blank"
      : inner.includes(" ")
        ? "holds a space between its digits"
        : `has ${inner.length} digits`
  )
}

/**
 * The employees a directory value claims for check 6a, by numeric value: every run of
 * ASCII digits in it. A malformed value (`100001` and a TAB) still claims `100001`: two
 * entries that may mean one employee are never both written, nor either alone. Each key
 * is a substring of the value, so a substring search finds every claimant.
 */
export const claimedEmployeeKeys = (raw: string): ReadonlyArray<string> => [
  ...new Set((raw.match(/[0-9]+/g) ?? []).map(employeeKey))
]
