import type { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { Poll } from "@dfo-writeback/testkit"
import { Effect, Redacted } from "effect"
import type { PortalDirectory } from "../src/index.js"

/** Directory options for the testbed's service account over plain ldap://. */
export const optionsFor = (
  t: LdapTestbed.Testbed,
  overrides: Partial<PortalDirectory.Options> = {}
): PortalDirectory.Options => ({
  url: t.url,
  bindDn: t.bindDn,
  bindPassword: Redacted.make(t.password),
  baseDn: t.baseDn,
  connectTimeoutMs: 2000,
  timeoutMs: 10_000,
  ...overrides
})

const tcpSockets = () =>
  process.getActiveResourcesInfo().filter((resource) => resource === "TCPSocketWrap").length

/** Open TCP sockets of this process, once they have settled (closing takes a tick or two). */
export const settledTcpSockets = (expected: number) =>
  Poll.until(
    Effect.sync(() => tcpSockets() === expected),
    { what: `${expected} open TCP sockets`, timeout: "1 second" }
  ).pipe(
    // The caller asserts on the count, so a count that never settles shows in its failure.
    Effect.catchTag("PollTimeout", () => Effect.void),
    Effect.zipRight(Effect.sync(tcpSockets))
  )

export const currentTcpSockets = Effect.sync(tcpSockets)
