/**
 * An incremental scenario's set-up: entries modified the way a directory change modifies
 * them, so the server sets their `modifyTimestamp` to now. The attribute written is one
 * no run reads, so a full run over the same directory afterwards still finds nothing to
 * change.
 */
import { Effect } from "effect"
import { Attribute, Change, Client } from "ldapts"

/** The directory as its rootdn sees it. */
export interface Admin {
  readonly url: string
  readonly adminDn: string
  readonly adminPassword: string
}

/** `count` DNs spread evenly over `dns`, so the changes land on many pages. */
export const spread = (dns: ReadonlyArray<string>, count: number): ReadonlyArray<string> => {
  const step = Math.max(1, Math.floor(dns.length / count))
  return dns.filter((_, index) => index % step === 0).slice(0, count)
}

/** Replaces each entry's `description`, which stamps its `modifyTimestamp`. */
export const touch = (admin: Admin, dns: ReadonlyArray<string>): Effect.Effect<void> =>
  Effect.acquireUseRelease(
    Effect.promise(async () => {
      const client = new Client({ url: admin.url })
      await client.bind(admin.adminDn, admin.adminPassword)
      return client
    }),
    (client) =>
      Effect.promise(async () => {
        const description = `touched by the bench at ${new Date().toISOString()}`
        for (const dn of dns) {
          await client.modify(
            dn,
            new Change({
              operation: "replace",
              modification: new Attribute({ type: "description", values: [description] })
            })
          )
        }
      }),
    (client) => Effect.promise(() => client.unbind().catch(() => undefined))
  )
