import type { LdapEntry } from "@dfo-writeback/domain"
import type { Entry } from "ldapts"

const text = (value: string | Buffer): string =>
  typeof value === "string" ? value : value.toString("utf8")

/**
 * An ldapts entry as the domain's `LdapEntry`: Buffers (which ldapts hands out for values it
 * could not read as text) decoded as UTF-8, every attribute as a list of strings.
 */
export const toLdapEntry = (entry: Entry): LdapEntry => {
  const result: Record<string, ReadonlyArray<string>> = {}
  for (const [name, value] of Object.entries(entry)) {
    if (name === "dn") continue
    result[name] = Array.isArray(value) ? value.map(text) : [text(value)]
  }
  return { ...result, dn: entry.dn }
}
