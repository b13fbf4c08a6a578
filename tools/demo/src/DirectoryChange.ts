/**
 * A change in the Portal LDAP as RapidIdentity makes one: an attribute of one account
 * replaced on the live directory, as the testbed's rootdn (the service account only reads).
 */
import type { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { Effect, Schema } from "effect"
import { Attribute, Change, Client } from "ldapts"

/** The directory refused the change or did not answer. */
export class DirectoryChangeError extends Schema.TaggedError<DirectoryChangeError>()(
  "DirectoryChangeError",
  { message: Schema.String }
) {}

/** Replaces `attribute` of the entry `dn` with `value`. */
export const replace = (
  testbed: LdapTestbed.Testbed,
  dn: string,
  attribute: string,
  value: string
): Effect.Effect<void, DirectoryChangeError> =>
  Effect.acquireUseRelease(
    Effect.sync(() => new Client({ url: testbed.url, connectTimeout: 2000, timeout: 5000 })),
    (client) =>
      Effect.tryPromise({
        try: async () => {
          await client.bind(testbed.adminDn, testbed.adminPassword)
          await client.modify(
            dn,
            new Change({
              operation: "replace",
              modification: new Attribute({ type: attribute, values: [value] })
            })
          )
        },
        catch: (error) =>
          new DirectoryChangeError({
            message: `changing ${attribute} of ${dn}: ${error instanceof Error ? error.message : String(error)}`
          })
      }),
    (client) => Effect.promise(() => client.unbind().catch(() => undefined))
  )
