import type { TestbedEntry } from "../Employees.js"

// RFC 2849: a value is written as-is only if it is a SAFE-STRING; anything else (non-ASCII
// names, leading space/colon/'<', trailing space, control characters) goes base64.
const isSafeString = (value: string): boolean => {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 0 || c === 10 || c === 13 || c > 127) return false
    if (i === 0 && (c === 32 || c === 58 || c === 60)) return false
  }
  return !value.endsWith(" ")
}

const line = (name: string, value: string): string =>
  isSafeString(value)
    ? `${name}: ${value}\n`
    : `${name}:: ${Buffer.from(value, "utf8").toString("base64")}\n`

/** One LDIF record (with its trailing blank line) for an entry whose DN is known. */
export const ldifRecord = (dn: string, entry: TestbedEntry): string => {
  let record = line("dn", dn)
  for (const [name, value] of Object.entries(entry)) {
    if (name.toLowerCase() === "dn") continue
    for (const v of typeof value === "string" ? [value] : value) record += line(name, v)
  }
  return `${record}\n`
}
