/**
 * Work e-mails (`idautoPersonSystem2ID`) written into the bench's directory as its manager,
 * so an event has something to write. Plain ldapts: this is set-up, not the program.
 */
import { Effect } from "effect"
import { Attribute, Change, Client } from "ldapts"
import type { LdapBackend } from "./protocol.js"

export interface WorkEmail {
  readonly dn: string
  readonly mail: string
}

/** Modifies in flight at once: slapd takes them in parallel, one connection is enough. */
const inFlight = 16

/** Replaces each entry's work e-mail with the one given. */
export const setWorkEmails = (
  ldap: LdapBackend,
  emails: ReadonlyArray<WorkEmail>
): Effect.Effect<void> =>
  Effect.promise(async () => {
    if (ldap.admin === undefined) throw new Error("changing the directory needs its manager")
    const client = new Client({ url: ldap.url })
    try {
      await client.bind(ldap.admin.dn, ldap.admin.password)
      let next = 0
      const worker = async () => {
        while (next < emails.length) {
          const { dn, mail } = emails[next++] as WorkEmail
          await client.modify(
            dn,
            new Change({
              operation: "replace",
              modification: new Attribute({ type: "idautoPersonSystem2ID", values: [mail] })
            })
          )
        }
      }
      await Promise.all(Array.from({ length: inFlight }, worker))
    } finally {
      await client.unbind()
    }
  })
