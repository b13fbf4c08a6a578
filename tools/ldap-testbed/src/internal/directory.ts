// The testbed's own LDAP client steps: a bind to see that slapd answers, and adds,
// replaces and attribute changes on the live directory as its rootdn.
import { Effect } from "effect"
import type { TestbedEntry } from "../Employees.js"
import { Attribute, Change, Client } from "ldapts"
import { complete } from "./entries.js"
import { LdapTestbedError } from "./error.js"

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

/** A directory and its manager (rootdn), who may change any entry. */
export interface Manager extends Account {
  readonly url: string
}

/** One attribute of one entry, to be replaced by `values`. */
export interface AttributeChange {
  readonly dn: string
  readonly attribute: string
  readonly values: ReadonlyArray<string>
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Replaces each attribute as the manager, `inFlight` modifies at a time on one bound
 * connection (slapd takes them in parallel). The first refusal stops the rest; an error
 * names the entry and attribute, never the values (they may be e-mail addresses).
 */
export const replaceAttributes = (
  manager: Manager,
  changes: ReadonlyArray<AttributeChange>,
  options: { readonly inFlight?: number } = {}
): Effect.Effect<void, LdapTestbedError> =>
  Effect.acquireUseRelease(
    Effect.sync(() => new Client({ url: manager.url, connectTimeout: 2000, timeout: 10_000 })),
    (client) =>
      Effect.zipRight(
        Effect.tryPromise({
          try: () => client.bind(manager.dn, manager.password),
          catch: (error) =>
            new LdapTestbedError({ message: `binding as ${manager.dn}: ${reason(error)}` })
        }),
        Effect.forEach(
          changes,
          ({ dn, attribute, values }) =>
            Effect.tryPromise({
              try: () =>
                client.modify(
                  dn,
                  new Change({
                    operation: "replace",
                    modification: new Attribute({ type: attribute, values: [...values] })
                  })
                ),
              catch: (error) =>
                new LdapTestbedError({
                  message: `replacing ${attribute} of ${dn}: ${reason(error)}`
                })
            }),
          { concurrency: options.inFlight ?? 1, discard: true }
        )
      ),
    (client) => Effect.promise(() => client.unbind().catch(() => undefined))
  )
