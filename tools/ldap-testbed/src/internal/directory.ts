// The testbed's own LDAP client steps: a bind to see that slapd answers, and adds and
// replaces on the live directory as its rootdn.
import type { TestbedEntry } from "../Employees.js"
import { Client } from "ldapts"
import { complete } from "./entries.js"

export interface Account {
  readonly dn: string
  readonly password: string
}

/** Binds once and unbinds; rejects when slapd does not answer or refuses the account. */
export const bindOnce = async (url: string, account: Account): Promise<void> => {
  const client = new Client({ url, connectTimeout: 2000, timeout: 5000 })
  try {
    await client.bind(account.dn, account.password)
  } finally {
    await client.unbind().catch(() => undefined)
  }
}

/** Adds `entries` (completed), first deleting any entry with the same DN when `replace`. */
export const write = async (
  url: string,
  admin: Account,
  entries: ReadonlyArray<TestbedEntry>,
  replace: boolean
): Promise<void> => {
  const client = new Client({ url, connectTimeout: 2000, timeout: 10_000 })
  try {
    await client.bind(admin.dn, admin.password)
    for (const entry of entries) {
      const completed = complete(entry)
      if (replace) await client.del(completed.dn).catch(() => undefined)
      const attributes: Record<string, string | Array<string>> = {}
      for (const [name, value] of Object.entries(completed.entry)) {
        attributes[name] = typeof value === "string" ? value : [...value]
      }
      await client.add(completed.dn, attributes)
    }
  } finally {
    await client.unbind().catch(() => undefined)
  }
}
