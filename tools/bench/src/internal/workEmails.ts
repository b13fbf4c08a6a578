/**
 * Work e-mails (`idautoPersonSystem2ID`) written into the bench's directory as its manager,
 * so an event has something to write. The testbed's client: this is set-up, not the program.
 */
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { Effect } from "effect"
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
  ldap.admin === undefined
    ? Effect.dieMessage("changing the directory needs its manager")
    : LdapTestbed.replaceAttributes(
        { url: ldap.url, ...ldap.admin },
        emails.map(({ dn, mail }) => ({ dn, attribute: "idautoPersonSystem2ID", values: [mail] })),
        { inFlight }
      ).pipe(Effect.orDie)
