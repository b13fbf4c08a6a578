/**
 * Cells of the files people open (`writeback report`, a plan's review): CSV a spreadsheet
 * reads as text, Markdown a renderer shows as written.
 */

/**
 * One CSV field (RFC 4180), safe to open in a spreadsheet: a value a spreadsheet would take
 * for a formula (`=`, `+`, `-`, `@`, TAB, CR first) gets a leading `'`, so a hostile LDAP
 * value stays text.
 */
export const csvField = (value: string): string => {
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** One CSV row, CRLF-terminated. */
export const csvLine = (cells: ReadonlyArray<string | number>): string =>
  `${cells.map((cell) => csvField(String(cell))).join(",")}\r\n`

/** A Markdown table cell: `|` cannot end it, `<` cannot start HTML; `\\` and `&` keep it exact. */
export const markdownCell = (value: string): string =>
  value.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/&/g, "&amp;").replace(/</g, "&lt;")

/** One Markdown table row. */
export const markdownRow = (cells: ReadonlyArray<string | number>): string =>
  `| ${cells.map((cell) => markdownCell(String(cell))).join(" | ")} |\n`
