import { ErrorCode, type RunSummary, SkipReason, type UserResult } from "@dfo-writeback/domain"
import { LogFormat } from "@dfo-writeback/edge"
import { csvLine, markdownCell, markdownRow } from "./Cells.js"

/** How `writeback report` is written for people (CONTRACT §7). */
export type Format = "csv" | "markdown" | "json"
export const formats: ReadonlyArray<Format> = ["csv", "markdown", "json"]

/**
 * What a listed user is there for: a skip reason, or the error code of a FAILED user.
 * `LDAP_CONNECTION_FAILED` ends a run, it never marks one user.
 */
export const reasons: ReadonlyArray<string> = [
  ...SkipReason.literals,
  ...ErrorCode.literals.filter((code) => code !== "LDAP_CONNECTION_FAILED")
]

/** One listed user; values as LDAP and DFØ gave them, control characters escaped. */
export interface Row {
  readonly username: string
  readonly employeeId: string
  readonly reason: string
  readonly message: string
  readonly idautoId: string
}

export interface Report {
  readonly summary: RunSummary
  readonly users: ReadonlyArray<Row>
  /** Listed users by reason, in `reasons`' order; only reasons that occurred. */
  readonly byReason: ReadonlyArray<readonly [string, number]>
}

const reasonOf = (result: UserResult): string | undefined =>
  result.outcome === "SKIPPED"
    ? result.skipReason
    : result.outcome === "FAILED"
      ? result.errorCode
      : undefined

// Norwegian order (æ, ø, å last); the same on every machine with full ICU, as Node ships.
const collator = new Intl.Collator("nb")

const byPerson = (a: Row, b: Row) =>
  collator.compare(a.username, b.username) ||
  collator.compare(a.employeeId, b.employeeId) ||
  collator.compare(a.idautoId, b.idautoId)

/**
 * The skipped and failed users of a run with one of `wanted` reasons (all when empty),
 * sorted by username, then employee id.
 */
export const make = (
  results: ReadonlyArray<UserResult>,
  summary: RunSummary,
  wanted: ReadonlyArray<string>
): Report => {
  const users = results
    .flatMap((result): Array<Row> => {
      const reason = reasonOf(result)
      if (reason === undefined || (wanted.length > 0 && !wanted.includes(reason))) return []
      return [
        {
          username: LogFormat.escapeControl(result.username),
          employeeId: LogFormat.escapeControl(result.sapId),
          reason,
          message: LogFormat.escapeControl(result.message),
          idautoId: LogFormat.escapeControl(result.idautoId)
        }
      ]
    })
    .sort(byPerson)
  const byReason = reasons.flatMap((reason): Array<readonly [string, number]> => {
    const n = users.filter((user) => user.reason === reason).length
    return n === 0 ? [] : [[reason, n]]
  })
  return { summary, users, byReason }
}

/** The run's own counts, as every format ends with them. */
const runCounts = (s: RunSummary): ReadonlyArray<readonly [string, string | number]> => [
  ["run_id", s.runId],
  ["total", s.total],
  ["skipped", s.skipped],
  ["unchanged", s.unchanged],
  ["would_update", s.wouldUpdate],
  ["fetch_failed", s.fetchFailed],
  ["update_failed", s.updateFailed]
]

const columns = ["username", "employee_id", "reason", "message", "idauto_id"]
const cellsOf = (row: Row) => [row.username, row.employeeId, row.reason, row.message, row.idautoId]

/**
 * CSV: a header and a row per user, then, after one empty line, a second block `total,count`:
 * listed users per reason, then the run's counts as `run:<name>`.
 */
const csv = (report: Report) =>
  [
    csvLine(columns),
    ...report.users.map((row) => csvLine(cellsOf(row))),
    "\r\n",
    csvLine(["total", "count"]),
    csvLine(["listed", report.users.length]),
    ...report.byReason.map(([reason, n]) => csvLine([reason, n])),
    ...runCounts(report.summary).map(([name, value]) => csvLine([`run:${name}`, value]))
  ].join("")

const markdown = (report: Report) =>
  [
    `# Skipped and failed users, run ${markdownCell(report.summary.runId)}\n\n`,
    markdownRow(columns),
    markdownRow(columns.map(() => "---")),
    ...report.users.map((row) => markdownRow(cellsOf(row))),
    "\n## Totals\n\n",
    markdownRow(["total", "count"]),
    markdownRow(["---", "---:"]),
    markdownRow(["listed", report.users.length]),
    ...report.byReason.map(([reason, n]) => markdownRow([reason, n])),
    ...runCounts(report.summary).map(([name, value]) => markdownRow([`run:${name}`, value]))
  ].join("")

const json = (report: Report) =>
  `${JSON.stringify(
    {
      run: {
        ...Object.fromEntries(runCounts(report.summary)),
        skipped_by_reason: report.summary.skippedByReason,
        listed: report.users.length,
        listed_by_reason: Object.fromEntries(report.byReason)
      },
      users: report.users.map((row) => ({
        username: row.username,
        employee_id: row.employeeId,
        reason: row.reason,
        message: row.message,
        idauto_id: row.idautoId
      }))
    },
    null,
    2
  )}\n`

/** The report as its file holds it. */
export const render = (report: Report, format: Format): string => {
  switch (format) {
    case "csv":
      return csv(report)
    case "markdown":
      return markdown(report)
    case "json":
      return json(report)
  }
}

/** One line for the operator: how many were listed, by reason. */
export const countsLine = (report: Report): string =>
  `${report.users.length} user${report.users.length === 1 ? "" : "s"} listed${
    report.byReason.length === 0
      ? ""
      : ` (${report.byReason.map(([reason, n]) => `${reason} ${n}`).join(", ")})`
  }`
