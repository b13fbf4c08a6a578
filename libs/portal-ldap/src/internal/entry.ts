import type { Entry } from "ldapts"

const text = (value: string | Buffer): string =>
  typeof value === "string" ? value : value.toString("utf8")

/**
 * The non-blank values of attribute `name` in an ldapts entry, as held (Buffers, which
 * ldapts hands out for values it could not read as text, decoded as UTF-8). LDAP names
 * are case-insensitive: the spelling asked for is tried first, then every other.
 */
export const valuesOf = (entry: Entry, name: string): ReadonlyArray<string> => {
  let held = name === "dn" ? undefined : entry[name]
  if (held === undefined) {
    const lower = name.toLowerCase()
    for (const key in entry) {
      if (key !== "dn" && key.toLowerCase() === lower) held = entry[key]
    }
  }
  if (held === undefined) return []
  const values: Array<string> = []
  for (const value of Array.isArray(held) ? held : [held]) {
    const read = text(value)
    if (read.trim() !== "") values.push(read)
  }
  return values
}
