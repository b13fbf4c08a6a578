import type { Plan } from "./Plan.js"

/** How a plan is shown to the people who review it. */
export type Format = "table" | "markdown" | "csv"
export const formats: ReadonlyArray<Format> = ["table", "markdown", "csv"]

const rowsOf = (plan: Plan) =>
  plan.users.flatMap((user) =>
    user.changes.map((change) => [
      user.idauto_id,
      user.sap_id,
      change.field,
      change.before,
      change.after,
      user.kept_fields.join(" ")
    ])
  )

const header = ["idauto_id", "sap_id", "field", "before", "after", "kept_fields"]

/** One line of counts: changes per field, skips per reason. */
export const countsLine = (plan: Plan): string => {
  const byField = new Map<string, number>()
  for (const user of plan.users) {
    for (const change of user.changes)
      byField.set(change.field, (byField.get(change.field) ?? 0) + 1)
  }
  const fields = [...byField].map(([field, n]) => `${field} ${n}`).join(", ") || "none"
  const reasons =
    Object.entries(plan.skipped_by_reason)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(", ") || "none"
  return `${plan.users.length} users to write; changes by field: ${fields}; skipped by reason: ${reasons}`
}

const csvCell = (value: string) =>
  /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
const mdCell = (value: string) => value.replace(/\|/g, "\\|").replace(/[\r\n]/g, " ")

/** The plan rendered for people, ending with its line of counts. */
export const render = (plan: Plan, format: Format): string => {
  const rows = rowsOf(plan)
  const title = `plan made ${plan.created_at}, ${plan.digest}`
  switch (format) {
    case "csv":
      return [header, ...rows].map((row) => row.map(csvCell).join(",")).join("\n") + "\n"
    case "markdown":
      return (
        [
          `${title}\n`,
          `| ${header.join(" | ")} |`,
          `|${header.map(() => "---").join("|")}|`,
          ...rows.map((row) => `| ${row.map(mdCell).join(" | ")} |`),
          "",
          countsLine(plan)
        ].join("\n") + "\n"
      )
    case "table": {
      const widths = header.map((h, i) =>
        Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0))
      )
      const line = (row: ReadonlyArray<string>) =>
        row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd()
      return [title, line(header), ...rows.map(line), countsLine(plan)].join("\n") + "\n"
    }
  }
}
