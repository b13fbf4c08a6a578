// Tests run against the real slapd and DFØ emulator from tools/ (devDependencies); the
// app's own code never imports tools, which is what the boundary rule guards.
import { type Emulator, DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { generateEmployees, LdapTestbed, type TestbedEntry } from "@dfo-writeback/ldap-testbed"
import { Context, Effect, Layer } from "effect"
import { token } from "./grpc.js"
import * as ServerProcess from "./ServerProcess.js"

/** Generated people: a realistic mix of eligible, disabled, deleted and incomplete entries. */
export const people = generateEmployees({ count: 30, seed: 11 })

/** One eligible person whose DFØ record holds stale values: a single-user call updates her. */
export const alice = {
  username: "alice",
  uhUsername: "alice.uh",
  sapId: "00900001",
  feideId: "alice@uni.no",
  mail: "alice.smith@uni.no"
} as const

/** Two entries sharing one username: a lookup by it is ambiguous. */
export const twinUsername = "twin"

export const ldapEntries: ReadonlyArray<TestbedEntry> = [
  {
    idautoPersonSystem1ID: alice.username,
    idautoPersonSAMAccountName: alice.uhUsername,
    idautoPersonPayrollID: alice.sapId,
    idautoPersonSystem5ID: alice.feideId,
    idautoPersonSystem2ID: alice.mail,
    mail: alice.mail,
    idautoPersonAppRoles2: "Active Directory",
    idautoDisabled: "FALSE",
    idautoPersonExtBool3: "FALSE"
  },
  ...["00900002", "00900003"].map((sapId) => ({
    idautoPersonSystem1ID: twinUsername,
    idautoPersonSAMAccountName: `twin-${sapId}`,
    idautoPersonPayrollID: sapId,
    mail: `twin-${sapId}@uni.no`,
    idautoPersonAppRoles2: "Active Directory"
  }))
]

/** Every `idautoPerson` entry in the directory. */
export const directorySize = people.length + ldapEntries.length

export const dfoEmployees = [
  ...people.flatMap((person) =>
    person.payrollId === undefined ? [] : [makeEmployee({ id: person.payrollId })]
  ),
  makeEmployee({ id: alice.sapId, eksternIdent: "old@uni.no", epost: "old@uni.no" }),
  makeEmployee({ id: "00900002" }),
  makeEmployee({ id: "00900003" })
]

/** A running slapd, emulator and server sharing a file's tests. */
export interface Fixture {
  readonly testbed: LdapTestbed.Testbed
  readonly emulator: Emulator
  readonly server: ServerProcess.ServerProcess
}

export class Services extends Context.Tag("server-test/Services")<Services, Fixture>() {}

/** The server's environment over a testbed and an emulator. */
export const serverEnv = (
  testbed: LdapTestbed.Testbed,
  emulator: Emulator,
  extra: Readonly<Record<string, string>> = {}
): Record<string, string> => ({
  ...testbed.environment,
  ...emulator.environment,
  // Tests measure behaviour, not the gateway's limits.
  SAP_MAX_RPS: "100000",
  SAP_MAX_RETRIES: "0",
  SAP_TIMEOUT_MS: "5000",
  GRPC_LISTEN: "127.0.0.1:0",
  GRPC_AUTH_TOKENS: `other-token-5e2b81,${token}`,
  // Stopping a test server need not wait for a load balancer.
  GRPC_SHUTDOWN_DRAIN_MS: "50",
  ...extra
})

/** The slapd and emulator alone, for files that start their own servers. */
export const backends = Effect.all({
  testbed: LdapTestbed.scoped({ users: people.length, seed: 11, entries: ldapEntries }).pipe(
    Effect.orDie
  ),
  emulator: DfoEmulator.scoped({ employees: dfoEmployees }).pipe(Effect.orDie)
})

/** Backends plus one server with `extra` settings. */
export const layer = (extra: Readonly<Record<string, string>> = {}) =>
  Layer.scoped(
    Services,
    Effect.gen(function* () {
      const { testbed, emulator } = yield* backends
      const server = yield* ServerProcess.scoped(serverEnv(testbed, emulator, extra))
      return { testbed, emulator, server }
    })
  )
