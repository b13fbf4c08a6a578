/**
 * A Markdown table laid out as Prettier lays it out (cells padded to the column's width),
 * so the generated part of docs/benchmarks.md passes `prettier --check`.
 */
export type Align = "left" | "right"

export const table = (
  headers: ReadonlyArray<string>,
  aligns: ReadonlyArray<Align>,
  rows: ReadonlyArray<ReadonlyArray<string>>
): string => {
  const widths = headers.map((header, column) =>
    Math.max(3, header.length, ...rows.map((row) => (row[column] ?? "").length))
  )
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells
      .map((cell, column) => {
        const width = widths[column] ?? 3
        return aligns[column] === "right" ? cell.padStart(width) : cell.padEnd(width)
      })
      .join(" | ")} |`
  const rule = `| ${widths
    .map((width, column) =>
      aligns[column] === "right" ? `${"-".repeat(width - 1)}:` : "-".repeat(width)
    )
    .join(" | ")} |`
  return [line(headers), rule, ...rows.map(line)].join("\n")
}
