/**
 * A plan as the people who approve it read it (`writeback plan --format … --review FILE`):
 * one row per field to change, with the person's username and employee id, sorted by
 * username, then the totals and which plan it is.
 */
import { LogFormat } from "@dfo-writeback/edge"
import type { Plan } from "@dfo-writeback/writeback"
import { csvLine, markdownCell, markdownRow } from "./Cells.js"

/** How a plan is shown: `table` for a terminal, `markdown` for a ticket, `csv` for a spreadsheet. */
export type Format = "table" | "markdown" | "csv"
export const formats: ReadonlyArray<Format> = ["table", "markdown", "csv"]

/** One field of one planned user; values control-escaped, as LDAP and DFØ gave them. */
interface Row {
  readonly username: string
  readonly employeeId: string
  readonly field: string
  readonly before: string
  readonly after: string
  readonly keptFields: string
  readonly idautoId: string
}

const columns = ["username", "employee_id", "field", "before", "after", "kept_fields", "idauto_id"]
const cellsOf = (row: Row) => [
  row.username,
  row.employeeId,
  row.field,
  row.before,
  row.after,
  row.keptFields,
  row.idautoId
]

const safe = LogFormat.escapeControl

// Norwegian order (æ, ø, å last), as `writeback report` sorts its people.
const collator = new Intl.Collator("nb")

/** Rows sorted by username, then employee id and idautoID; a user's fields in plan order. */
const rowsOf = (plan: Plan.Plan): ReadonlyArray<Row> =>
  [...plan.users]
    .sort(
      (a, b) =>
        collator.compare(a.username ?? "", b.username ?? "") ||
        collator.compare(a.sap_id, b.sap_id) ||
        collator.compare(a.idauto_id, b.idauto_id)
    )
    .flatMap((user) =>
      user.changes.map((change) => ({
        username: safe(user.username ?? ""),
        employeeId: safe(user.sap_id),
        field: change.field,
        before: safe(change.before),
        after: safe(change.after),
        keptFields: user.kept_fields.join(" "),
        idautoId: safe(user.idauto_id)
      }))
    )

/** The totals every format ends with: users, changes per field, skips per reason. */
const totals = (plan: Plan.Plan): ReadonlyArray<readonly [string, number]> => {
  const byField = new Map<string, number>()
  for (const user of plan.users) {
    for (const change of user.changes) {
      byField.set(change.field, (byField.get(change.field) ?? 0) + 1)
    }
  }
  return [
    ["users", plan.users.length],
    ["changes", [...byField.values()].reduce((a, b) => a + b, 0)],
    ...[...byField].map(([field, n]): readonly [string, number] => [`changes:${field}`, n]),
    ...Object.entries(plan.skipped_by_reason).map(([reason, n]): readonly [string, number] => [
      `skipped:${reason}`,
      n
    ])
  ]
}

/** Which plan this is: what `apply` will check, and what its maker said. */
const identity = (plan: Plan.Plan): ReadonlyArray<readonly [string, string]> => [
  ["plan:digest", plan.digest],
  ["plan:created_at", plan.created_at],
  ["plan:made_by", safe(plan.made_by ?? "")],
  ["plan:comment", safe(plan.comment ?? "")]
]

/** One line of counts: users, changes by field, skips by reason. */
export const countsLine = (plan: Plan.Plan): string => {
  const all = totals(plan)
  const named = (prefix: string) =>
    all
      .filter(([name]) => name.startsWith(prefix))
      .map(([name, n]) => `${name.slice(prefix.length)} ${n}`)
      .join(", ") || "none"
  return `${plan.users.length} users to write; changes by field: ${named("changes:")}; skipped by reason: ${named("skipped:")}`
}

/**
 * CSV: a header and a row per field, then, after one empty line, a second block
 * `total,count` (totals, then the plan's digest, time, maker and comment): one file a
 * spreadsheet opens whole, as `writeback report` writes.
 */
const csv = (plan: Plan.Plan) =>
  [
    csvLine(columns),
    ...rowsOf(plan).map((row) => csvLine(cellsOf(row))),
    "\r\n",
    csvLine(["total", "count"]),
    ...totals(plan).map((cells) => csvLine(cells)),
    ...identity(plan).map((cells) => csvLine(cells))
  ].join("")

const markdown = (plan: Plan.Plan) =>
  [
    `# Plan ${markdownCell(plan.digest)}\n\n`,
    `Made ${markdownCell(plan.created_at)}`,
    plan.made_by === undefined ? "" : ` by ${markdownCell(safe(plan.made_by))}`,
    plan.comment === undefined ? ".\n\n" : `: ${markdownCell(safe(plan.comment))}\n\n`,
    markdownRow(columns),
    markdownRow(columns.map(() => "---")),
    ...rowsOf(plan).map((row) => markdownRow(cellsOf(row))),
    "\n## Totals\n\n",
    markdownRow(["total", "count"]),
    markdownRow(["---", "---:"]),
    ...totals(plan).map((cells) => markdownRow(cells))
  ].join("")

const table = (plan: Plan.Plan) => {
  const rows = [columns, ...rowsOf(plan).map(cellsOf)]
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)))
  const line = (row: ReadonlyArray<string>) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd()
  const made = identity(plan)
    .filter(([, value]) => value !== "")
    .map(([name, value]) => `${name.slice("plan:".length)} ${value}`)
  return [`plan ${made.join(", ")}`, ...rows.map(line), countsLine(plan)].join("\n") + "\n"
}

/** The plan rendered for people. */
export const render = (plan: Plan.Plan, format: Format): string => {
  switch (format) {
    case "csv":
      return csv(plan)
    case "markdown":
      return markdown(plan)
    case "table":
      return table(plan)
  }
}
