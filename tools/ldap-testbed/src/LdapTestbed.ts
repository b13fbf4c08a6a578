/**
 * A throw-away Portal LDAP: slapd on loopback with the RapidIdentity schema, a read-only
 * service account and generated people, in its own temp dir. slapd runs on testkit's
 * process handling (`internal/slapd.ts`); this module gives it its shape and its API.
 */
import { randomBytes } from "node:crypto"
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { Population } from "@dfo-writeback/population"
import { ChildProcess } from "@dfo-writeback/testkit"
import { Clock, Context, Duration, Effect, Either, Exit, Layer, Scope } from "effect"
import {
  accountsDn,
  type Employee,
  type EmployeeMix,
  generateEmployees,
  type TestbedEntry
} from "./Employees.js"
import {
  generateCertificates as certificates,
  type CertificateFiles
} from "./internal/certificates.js"
import { type Manager, write } from "./internal/directory.js"
import { LdapTestbedError } from "./internal/error.js"
import { ensureSlapd } from "./internal/install.js"
import { runOrFail } from "./internal/run.js"
import { writeSeedLdif } from "./internal/seed.js"
import * as Slapd from "./internal/slapd.js"
import { slapdConfig } from "./internal/slapdConfig.js"

export type { CertificateFiles } from "./internal/certificates.js"
export { type AttributeChange, type Manager, replaceAttributes } from "./internal/directory.js"
export { LdapTestbedError } from "./internal/error.js"

/** The RapidIdentity `idautoPerson` schema the testbed loads. */
export const idautoSchemaFile: string = fileURLToPath(
  new URL("../schema/idauto.schema", import.meta.url)
)

const systemSchemaDir = "/etc/ldap/schema"
const suffix = "dc=meta"

export interface TestbedOptions {
  /** Generated employees to load (default 0), from the plain mix unless `mix` says otherwise. */
  readonly users?: number
  /** Generator seed (default 1). */
  readonly seed?: number
  readonly mix?: Partial<EmployeeMix>
  readonly domain?: string
  /** Load this population's people instead of `users`/`seed`/`mix`/`domain`. */
  readonly population?: Population.Population
  /**
   * Every generated entry's `modifyTimestamp` (generalized time, e.g. `20250101000000Z`;
   * slapadd keeps one it is given), so an incremental run's window holds only entries
   * changed after the load. Default: the time of the load.
   */
  readonly modifyTimestamp?: string
  /** Exact entries loaded after the generated ones (DN derived from `idautoID` if absent). */
  readonly entries?: ReadonlyArray<TestbedEntry>
  /** Port for `ldap://` (default: a free one). */
  readonly port?: number
  /** Also listen on `ldaps://` and allow StartTLS, with a certificate made at start. */
  readonly tls?: boolean
  /** Port for `ldaps://` when `tls` is set (default: a free one). */
  readonly ldapsPort?: number
  /** Server size limit for unpaged searches (default 200). */
  readonly sizeLimit?: number
  /** The service account's password (default: random). */
  readonly password?: string
  /** Install slapd with apt-get when missing and running as root (default true). */
  readonly install?: boolean
  /** How long slapd may take to answer (default 20 000 ms). */
  readonly startTimeoutMs?: number
}

/** A running throw-away slapd. */
export interface Testbed {
  /** `ldap://127.0.0.1:<port>` (StartTLS-capable when started with `tls`). */
  readonly url: string
  readonly port: number
  /** `ldaps://127.0.0.1:<port>` when started with `tls`. */
  readonly ldapsUrl?: string
  readonly ldapsPort?: number
  /** PEM file of the throw-away CA that signed the server certificate, with `tls`. */
  readonly caFile?: string
  /** The read-only service account. */
  readonly bindDn: string
  readonly password: string
  /** `ou=Accounts,dc=meta`. */
  readonly baseDn: string
  /** `dc=meta`. */
  readonly suffix: string
  /** The writeback's `PORTAL_LDAP_*` settings for this directory (CONTRACT §6). */
  readonly environment: Readonly<Record<string, string>>
  /** rootdn: not subject to ACLs or size limits; for tests that change the directory. */
  readonly adminDn: string
  readonly adminPassword: string
  /** The temp dir holding config, data and certificates; removed by `stop`. */
  readonly dir: string
  /** The generated people that were loaded. */
  readonly employees: ReadonlyArray<Employee>
  /** The running slapd's pid, undefined while it is down. */
  readonly pid: () => number | undefined
  /** Adds entries to the running directory (as rootdn). */
  readonly add: (entries: ReadonlyArray<TestbedEntry>) => Promise<void>
  /** Replaces entries in the running directory (delete, then add; as rootdn). */
  readonly replace: (entries: ReadonlyArray<TestbedEntry>) => Promise<void>
  /** Stops slapd and removes every file. Idempotent. */
  readonly stop: () => Promise<void>
  /** SIGKILLs slapd (for fault tests); data stays, `restart` brings it back. */
  readonly kill: () => Promise<void>
  /** Stops slapd if running and starts it again on the same ports with the same data. */
  readonly restart: () => Promise<void>
}

/** Runs an effect for a Promise caller; a failure rejects with the typed error itself. */
const settle = <A>(effect: Effect.Effect<A, LdapTestbedError>): Promise<A> =>
  Effect.runPromise(Effect.either(effect)).then(
    Either.match({
      onLeft: (error) => Promise.reject(error),
      onRight: (value) => value
    })
  )

const files = <A>(what: string, f: () => Promise<A>) =>
  Effect.tryPromise({
    try: f,
    catch: (error) => new LdapTestbedError({ message: `${what}: ${String(error)}` })
  })

/** Config, seed data and a running slapd, all in `scope`. */
const build = (options: TestbedOptions, scope: Scope.Scope) =>
  Effect.gen(function* () {
    const tools = yield* ensureSlapd(options.install ?? true)
    const dir = yield* Effect.acquireRelease(
      files("temp dir", () => mkdtemp(join(tmpdir(), "ldap-testbed-"))),
      (path) => Effect.promise(() => rm(path, { recursive: true, force: true }))
    )
    const service = {
      dn: `cn=writeback,${suffix}`,
      password: options.password ?? randomBytes(12).toString("hex")
    }
    const admin = { dn: `cn=admin,${suffix}`, password: randomBytes(12).toString("hex") }
    const tls: CertificateFiles | undefined = options.tls
      ? yield* certificates(join(dir, "tls"))
      : undefined
    const dataDir = join(dir, "data")
    const configFile = join(dir, "slapd.conf")
    const config = slapdConfig({
      dir,
      dataDir,
      schemaFiles: [
        join(systemSchemaDir, "core.schema"),
        join(systemSchemaDir, "cosine.schema"),
        join(systemSchemaDir, "inetorgperson.schema"),
        idautoSchemaFile
      ],
      modulePath: tools.modulePath,
      suffix,
      accountsDn,
      adminDn: admin.dn,
      adminPassword: admin.password,
      bindDn: service.dn,
      sizeLimit: options.sizeLimit ?? 200,
      tls
    })
    yield* files("slapd.conf", async () => {
      await mkdir(dataDir)
      await writeFile(configFile, config)
    })
    const employees =
      options.population?.people ??
      generateEmployees({
        count: options.users ?? 0,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...(options.mix === undefined ? {} : { mix: options.mix }),
        ...(options.domain === undefined ? {} : { domain: options.domain })
      })
    const ldifFile = join(dir, "seed.ldif")
    yield* files("seed LDIF", () =>
      writeSeedLdif(
        ldifFile,
        suffix,
        service,
        employees,
        options.entries ?? [],
        options.modifyTimestamp
      )
    )
    // -q skips consistency checks: the LDIF is ours, and it makes 50 000 entries a few seconds.
    yield* runOrFail(tools.slapadd, ["-q", "-f", configFile, "-b", suffix, "-l", ldifFile])
    yield* files("seed LDIF", () => rm(ldifFile))

    const { slapd, ports } = yield* Slapd.make(
      {
        tools,
        configFile,
        dir,
        probe: service,
        startTimeout: Duration.millis(options.startTimeoutMs ?? 20_000)
      },
      {
        ...(options.port === undefined ? {} : { port: options.port }),
        ...(options.ldapsPort === undefined ? {} : { ldapsPort: options.ldapsPort }),
        tls: tls !== undefined
      },
      scope
    )
    const url = Slapd.ldapUrl(ports)
    return {
      url,
      port: ports.port,
      ...(ports.ldapsPort === undefined
        ? {}
        : { ldapsUrl: `ldaps://127.0.0.1:${ports.ldapsPort}`, ldapsPort: ports.ldapsPort }),
      ...(tls === undefined ? {} : { caFile: tls.caFile }),
      bindDn: service.dn,
      password: service.password,
      baseDn: accountsDn,
      suffix,
      environment: {
        PORTAL_LDAP_URL: url,
        PORTAL_LDAP_BIND_DN: service.dn,
        PORTAL_LDAP_BIND_PASSWORD: service.password,
        PORTAL_LDAP_BASE_DN: accountsDn,
        ...(tls === undefined ? {} : { PORTAL_LDAP_CA_FILE: tls.caFile })
      },
      adminDn: admin.dn,
      adminPassword: admin.password,
      dir,
      employees,
      slapd,
      add: (entries: ReadonlyArray<TestbedEntry>) => write(url, admin, entries, false),
      replace: (entries: ReadonlyArray<TestbedEntry>) => write(url, admin, entries, true)
    }
  }).pipe(Scope.extend(scope), Effect.provide(ChildProcess.layer))

/** A started testbed that owns its resources until `stop`. */
const make = (options: TestbedOptions): Effect.Effect<Testbed, LdapTestbedError> =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const built = yield* build(options, scope).pipe(
      Effect.onError(() => Scope.close(scope, Exit.void))
    )
    const { slapd, ...rest } = built
    let stopping: Promise<void> | undefined
    const stopped = new LdapTestbedError({ message: "the testbed was stopped" })
    return {
      ...rest,
      pid: slapd.pid,
      stop: () => (stopping ??= Effect.runPromise(Scope.close(scope, Exit.void))),
      kill: () => settle(slapd.halt("SIGKILL")),
      restart: () =>
        stopping === undefined
          ? settle(Effect.zipRight(slapd.halt("SIGTERM"), slapd.launch))
          : Promise.reject(stopped)
    } satisfies Testbed
  })

/**
 * Starts a throw-away slapd on loopback with the RapidIdentity schema, `users` generated
 * employees and any explicit `entries`, and resolves once it answers a bind.
 */
export const start = (options: TestbedOptions = {}): Promise<Testbed> => settle(make(options))

/** A throw-away CA, a server certificate for 127.0.0.1/localhost and a client certificate, in `dir`. */
export const generateCertificates = (dir: string): Promise<CertificateFiles> =>
  settle(certificates(dir).pipe(Effect.provide(ChildProcess.layer)))

/**
 * The clock the testbed's own waits run on: real time, whatever clock the caller's tests
 * run on (under `it.scoped`'s TestClock, the wait for slapd to answer would never end).
 */
const realTime = Clock.make()

/** The testbed's directory as its manager sees it, for `replaceAttributes`. */
export const manager = (testbed: Testbed): Manager => ({
  url: testbed.url,
  dn: testbed.adminDn,
  password: testbed.adminPassword
})

/** `start` for Effect code: the testbed lives as long as the scope. */
export const scoped = (
  options: TestbedOptions = {}
): Effect.Effect<Testbed, LdapTestbedError, Scope.Scope> =>
  Effect.acquireRelease(Effect.withClock(make(options), realTime), (testbed) =>
    Effect.promise(() => testbed.stop())
  )

/** The started testbed, for suites that share one through `it.layer`. */
export class LdapTestbed extends Context.Tag("@dfo-writeback/ldap-testbed/LdapTestbed")<
  LdapTestbed,
  Testbed
>() {}

export const layer = (options: TestbedOptions = {}): Layer.Layer<LdapTestbed, LdapTestbedError> =>
  Layer.scoped(LdapTestbed, scoped(options))
