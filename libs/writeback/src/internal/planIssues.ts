/**
 * A Schema decoding failure in plain words, naming each field by its path in the file:
 * "field `users[3].sap_id` is missing", not Effect's tree of `└─` branches, which an
 * operator reading one line on stderr cannot place.
 */
import { type ParseResult, ParseResult as PR } from "effect"

/** At most this many problems are named; the rest are counted. */
const shown = 3

/** `users[3].sap_id`: keys joined with dots, array indexes in brackets (from 0, as in jq). */
export const pathText = (path: ReadonlyArray<PropertyKey>): string =>
  path
    .map((key, i) =>
      typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key).slice(0, 64)}`
    )
    .join("")

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1)

/** One problem: what is wrong with the field at its path. */
const describe = (issue: PR.ArrayFormatterIssue): string => {
  const where = issue.path.length === 0 ? "the plan" : `field \`${pathText(issue.path)}\``
  switch (issue._tag) {
    case "Missing":
      return `${where} is missing`
    case "Unexpected":
      return `${where} is not part of a plan`
    default:
      // Effect's own words ("Expected string, actual 5"), with the value clipped.
      return `${where}: ${lowerFirst(issue.message.replace(/\s+/g, " ").slice(0, 160))}`
  }
}

/** Every problem of `issue` (up to `shown`, then how many more), in one line. */
export const describeIssue = (issue: ParseResult.ParseIssue): string => {
  const issues = PR.ArrayFormatter.formatIssueSync(issue)
  const named = issues.slice(0, shown).map(describe)
  const more = issues.length - named.length
  return more > 0 ? `${named.join("; ")}; and ${more} more` : named.join("; ")
}
