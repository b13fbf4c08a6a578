/** PortalDirectory.streamAll over the whole directory: what the writeback adds to the floor. */
import { type LdapConnectionError } from "@dfo-writeback/domain"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import { Effect, Redacted, Stream } from "effect"
import type { LdapBackend, Measured } from "../internal/protocol.js"
import { timed } from "../internal/timed.js"

export const streamAll = (ldap: LdapBackend): Effect.Effect<Measured, LdapConnectionError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const directory = yield* PortalDirectory.make({
        url: ldap.url,
        bindDn: ldap.bindDn,
        bindPassword: Redacted.make(ldap.password),
        baseDn: ldap.baseDn
      })
      const [elapsed, users] = yield* timed(Stream.runCount(directory.streamAll()))
      return { ...elapsed, users, metrics: { entries: users } }
    })
  )
