import { randomUUID } from "node:crypto"
import { accountsDn, type TestbedEntry } from "../Employees.js"

const escapeRdnValue = (value: string) =>
  value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, "\\ ")

const attribute = (entry: TestbedEntry, name: string) => {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase())
  const value = key === undefined ? undefined : entry[key]
  return typeof value === "string" ? value : value?.[0]
}

/**
 * Fills in what an explicit entry may leave out: object classes, `idautoID` (random) and
 * the DN derived from it, and the `cn`/`sn` that inetOrgPerson requires.
 */
export const complete = (
  entry: TestbedEntry
): { readonly dn: string; readonly entry: TestbedEntry } => {
  const filled: Record<string, string | ReadonlyArray<string>> = { ...entry }
  delete filled["dn"]
  const id = attribute(entry, "idautoID") ?? (entry.dn === undefined ? randomUUID() : undefined)
  if (id !== undefined && attribute(entry, "idautoID") === undefined) filled["idautoID"] = id
  if (attribute(entry, "objectClass") === undefined) {
    filled["objectClass"] = ["top", "inetOrgPerson", "idautoPerson"]
  }
  const name = attribute(entry, "idautoPersonSystem1ID") ?? id ?? "unnamed"
  if (attribute(entry, "cn") === undefined) filled["cn"] = name
  if (attribute(entry, "sn") === undefined) filled["sn"] = name
  const dn = entry.dn ?? `idautoID=${escapeRdnValue(id ?? "")},${accountsDn}`
  return { dn, entry: filled }
}
