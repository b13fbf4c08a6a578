import type { LdapTestbed } from "@dfo-writeback/ldap-testbed"
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
  Effect.gen(function* () {
    for (let i = 0; i < 50 && tcpSockets() !== expected; i++) yield* Effect.sleep("20 millis")
    return tcpSockets()
  })

export const currentTcpSockets = Effect.sync(tcpSockets)
