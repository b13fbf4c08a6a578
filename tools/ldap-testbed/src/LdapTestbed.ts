import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes, randomUUID } from "node:crypto"
import { mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises"
import { createConnection, createServer, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Context, Data, Effect, Layer, type Scope } from "effect"
import type { Population } from "@dfo-writeback/population"
import { Client } from "ldapts"
import {
  accountsDn,
  type Employee,
  employeeEntry,
  type EmployeeMix,
  generateEmployees,
  type TestbedEntry
} from "./Employees.js"
import { generateCertificates as generate, type CertificateFiles } from "./internal/certificates.js"
import { register, unregister, watchdog, type Live } from "./internal/cleanup.js"
import { ensureSlapd, type SlapdTools } from "./internal/install.js"
import { ldifRecord } from "./internal/ldif.js"
import { run } from "./internal/process.js"
import { slapdConfig } from "./internal/slapdConfig.js"

export type { CertificateFiles } from "./internal/certificates.js"

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

const escapeRdnValue = (value: string) =>
  value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, "\\ ")

const attribute = (entry: TestbedEntry, name: string) => {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase())
  const value = key === undefined ? undefined : entry[key]
  return typeof value === "string" ? value : value?.[0]
}

/**
 * Fills in what an explicit entry may leave out: object classes, `idautoID` (random) and
 * the DN derived from it, and the `cn`/`sn` that inetOrgPerson requires.
 */
const complete = (entry: TestbedEntry): { readonly dn: string; readonly entry: TestbedEntry } => {
  const filled: Record<string, string | ReadonlyArray<string>> = { ...entry }
  delete filled["dn"]
  const id = attribute(entry, "idautoID") ?? (entry.dn === undefined ? randomUUID() : undefined)
  if (id !== undefined && attribute(entry, "idautoID") === undefined) filled["idautoID"] = id
  if (attribute(entry, "objectClass") === undefined) {
    filled["objectClass"] = ["top", "inetOrgPerson", "idautoPerson"]
  }
  const name = attribute(entry, "idautoPersonSystem1ID") ?? id ?? "unnamed"
  if (attribute(entry, "cn") === undefined) filled["cn"] = name
  if (attribute(entry, "sn") === undefined) filled["sn"] = name
  const dn = entry.dn ?? `idautoID=${escapeRdnValue(id ?? "")},${accountsDn}`
  return { dn, entry: filled }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const writeLdif = async (
  file: string,
  bindDn: string,
  password: string,
  employees: ReadonlyArray<Employee>,
  entries: ReadonlyArray<TestbedEntry>
) => {
  const handle = await open(file, "w")
  try {
    await handle.write(
      ldifRecord(suffix, { objectClass: ["dcObject", "organization"], dc: "meta", o: "meta" }) +
        ldifRecord(accountsDn, { objectClass: "organizationalUnit", ou: "Accounts" }) +
        ldifRecord(bindDn, {
          objectClass: ["applicationProcess", "simpleSecurityObject"],
          cn: "writeback",
          userPassword: password
        })
    )
    // Chunked so 50 000 people never sit in memory as one string.
    let chunk = ""
    const flush = async () => {
      await handle.write(chunk)
      chunk = ""
    }
    for (const employee of employees) {
      chunk += ldifRecord(employee.dn, employeeEntry(employee))
      if (chunk.length > 1 << 20) await flush()
    }
    for (const entry of entries) {
      const completed = complete(entry)
      chunk += ldifRecord(completed.dn, completed.entry)
    }
    await flush()
  } finally {
    await handle.close()
  }
}

interface Running {
  readonly child: ChildProcess
  readonly exited: Promise<void>
  readonly stderr: () => string
  readonly disarm: () => void
}

// `-d none` keeps slapd in the foreground and logs only uncategorised messages to stderr:
// start-up errors, nothing per operation.
const spawnSlapd = (tools: SlapdTools, configFile: string, urls: ReadonlyArray<string>) => {
  const child = spawn(tools.slapd, ["-d", "none", "-h", urls.join(" "), "-f", configFile], {
    // Its own process group: a Ctrl-C in the terminal reaches us, and we stop slapd in order.
    detached: true,
    stdio: ["ignore", "ignore", "pipe"]
  })
  let stderr = ""
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000)
  })
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve())
    child.once("error", (error) => {
      stderr += String(error)
      resolve()
    })
  })
  child.unref()
  ;(child.stderr as Socket | null)?.unref()
  return { child, exited, stderr: () => stderr }
}

/** slapd's stderr without its banner and the timestamp/thread prefixes, on one line. */
const slapdMessages = (stderr: string) =>
  stderr
    .split("\n")
    .map((l) => l.replace(/^[0-9a-f]+\.[0-9a-f]+ 0x[0-9a-f]+ /, "").trim())
    .filter((l) => l !== "" && !l.startsWith("@(#)") && !l.includes("Maintainers <"))
    .join("; ")

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null

const bindOnce = async (url: string, dn: string, password: string) => {
  const client = new Client({ url, connectTimeout: 2000, timeout: 5000 })
  try {
    await client.bind(dn, password)
  } finally {
    await client.unbind().catch(() => undefined)
  }
}

/**
 * Starts a throw-away slapd on loopback with the RapidIdentity schema, `users` generated
 * employees and any explicit `entries`, and resolves once it answers a bind.
 */
export const start = async (options: TestbedOptions = {}): Promise<Testbed> => {
  const tools = await ensureSlapd(options.install ?? true)
  const dir = await mkdtemp(join(tmpdir(), "ldap-testbed-"))
  const live: Live = { dir, pid: undefined }
  register(live)
  let running: Running | undefined
  const terminate = async (signal: NodeJS.Signals) => {
    const current = running
    if (current === undefined) return
    running = undefined
    live.pid = undefined
    if (isRunning(current.child)) {
      current.child.kill(signal)
      const timer = setTimeout(() => current.child.kill("SIGKILL"), 5000)
      await current.exited
      clearTimeout(timer)
    }
    current.disarm()
  }
  try {
    const bindDn = `cn=writeback,${suffix}`
    const adminDn = `cn=admin,${suffix}`
    const password = options.password ?? randomBytes(12).toString("hex")
    const adminPassword = randomBytes(12).toString("hex")
    const tls: CertificateFiles | undefined = options.tls
      ? await generate(join(dir, "tls"))
      : undefined
    const dataDir = join(dir, "data")
    await mkdir(dataDir)
    const configFile = join(dir, "slapd.conf")
    await writeFile(
      configFile,
      slapdConfig({
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
        adminDn,
        adminPassword,
        bindDn,
        sizeLimit: options.sizeLimit ?? 200,
        tls
      })
    )
    const employees =
      options.population?.people ??
      generateEmployees({
        count: options.users ?? 0,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...(options.mix === undefined ? {} : { mix: options.mix }),
        ...(options.domain === undefined ? {} : { domain: options.domain })
      })
    const ldifFile = join(dir, "seed.ldif")
    await writeLdif(ldifFile, bindDn, password, employees, options.entries ?? [])
    // -q skips consistency checks: the LDIF is ours, and it makes 50 000 entries a few seconds.
    await run(tools.slapadd, ["-q", "-f", configFile, "-b", suffix, "-l", ldifFile])
    await rm(ldifFile)

    const deadline = options.startTimeoutMs ?? 20_000
    let port = options.port ?? (await freePort())
    let ldapsPort = tls === undefined ? undefined : (options.ldapsPort ?? (await freePort()))
    const urls = () => [
      `ldap://127.0.0.1:${port}/`,
      ...(ldapsPort === undefined ? [] : [`ldaps://127.0.0.1:${ldapsPort}/`])
    ]
    const url = () => `ldap://127.0.0.1:${port}`

    const launch = async (): Promise<void> => {
      const started = Date.now()
      const slapd = spawnSlapd(tools, configFile, urls())
      const pid = slapd.child.pid
      live.pid = pid
      running = {
        ...slapd,
        disarm: pid === undefined ? () => undefined : watchdog(pid, dir)
      }
      for (;;) {
        if (!isRunning(slapd.child) || pid === undefined) {
          await terminate("SIGKILL")
          throw new Error(`slapd did not start: ${slapdMessages(slapd.stderr()) || "exited"}`)
        }
        if (await canConnect(port)) {
          try {
            await bindOnce(url(), bindDn, password)
            return
          } catch {
            // listening but not answering yet
          }
        }
        if (Date.now() - started > deadline) {
          await terminate("SIGKILL")
          throw new Error(`slapd did not answer on ${url()} within ${deadline} ms`)
        }
        await sleep(25)
      }
    }

    // A port found free may be taken before slapd binds it; pick again when we chose it.
    for (let attempt = 1; ; attempt++) {
      try {
        await launch()
        break
      } catch (error) {
        const portTaken = /address already in use/i.test(String(error))
        if (!portTaken || attempt >= 5 || options.port !== undefined) throw error
        port = await freePort()
        if (tls !== undefined && options.ldapsPort === undefined) ldapsPort = await freePort()
      }
    }

    let stopping: Promise<void> | undefined
    const testbed: Testbed = {
      url: url(),
      port,
      ...(ldapsPort === undefined ? {} : { ldapsUrl: `ldaps://127.0.0.1:${ldapsPort}`, ldapsPort }),
      ...(tls === undefined ? {} : { caFile: tls.caFile }),
      bindDn,
      password,
      baseDn: accountsDn,
      suffix,
      environment: {
        PORTAL_LDAP_URL: url(),
        PORTAL_LDAP_BIND_DN: bindDn,
        PORTAL_LDAP_BIND_PASSWORD: password,
        PORTAL_LDAP_BASE_DN: accountsDn,
        ...(tls === undefined ? {} : { PORTAL_LDAP_CA_FILE: tls.caFile })
      },
      adminDn,
      adminPassword,
      dir,
      employees,
      pid: () => live.pid,
      replace: async (entries) => {
        const client = new Client({ url: url(), connectTimeout: 2000, timeout: 10_000 })
        try {
          await client.bind(adminDn, adminPassword)
          for (const entry of entries) {
            const completed = complete(entry)
            await client.del(completed.dn).catch(() => undefined)
            const attributes: Record<string, string | Array<string>> = {}
            for (const [name, value] of Object.entries(completed.entry)) {
              attributes[name] = typeof value === "string" ? value : [...value]
            }
            await client.add(completed.dn, attributes)
          }
        } finally {
          await client.unbind().catch(() => undefined)
        }
      },
      add: async (entries) => {
        const client = new Client({ url: url(), connectTimeout: 2000, timeout: 10_000 })
        try {
          await client.bind(adminDn, adminPassword)
          for (const entry of entries) {
            const completed = complete(entry)
            const attributes: Record<string, string | Array<string>> = {}
            for (const [name, value] of Object.entries(completed.entry)) {
              attributes[name] = typeof value === "string" ? value : [...value]
            }
            await client.add(completed.dn, attributes)
          }
        } finally {
          await client.unbind().catch(() => undefined)
        }
      },
      stop: () =>
        (stopping ??= (async () => {
          await terminate("SIGTERM")
          await rm(dir, { recursive: true, force: true })
          unregister(live)
        })()),
      kill: () => terminate("SIGKILL"),
      restart: async () => {
        if (stopping !== undefined) throw new Error("the testbed was stopped")
        await terminate("SIGTERM")
        await launch()
      }
    }
    return testbed
  } catch (error) {
    await terminate("SIGKILL")
    await rm(dir, { recursive: true, force: true })
    unregister(live)
    throw error
  }
}

/** A throw-away CA, a server certificate for 127.0.0.1/localhost and a client certificate, in `dir`. */
export const generateCertificates = (dir: string): Promise<CertificateFiles> => generate(dir)

/** Starting the testbed failed. */
export class LdapTestbedError extends Data.TaggedError("LdapTestbedError")<{
  readonly message: string
}> {}

/** `start` for Effect code: the testbed lives as long as the scope. */
export const scoped = (
  options: TestbedOptions = {}
): Effect.Effect<Testbed, LdapTestbedError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => start(options),
      catch: (error) =>
        new LdapTestbedError({ message: error instanceof Error ? error.message : String(error) })
    }),
    (testbed) => Effect.promise(() => testbed.stop())
  )

/** The started testbed, for suites that share one through `it.layer`. */
export class LdapTestbed extends Context.Tag("@dfo-writeback/ldap-testbed/LdapTestbed")<
  LdapTestbed,
  Testbed
>() {}

export const layer = (options: TestbedOptions = {}): Layer.Layer<LdapTestbed, LdapTestbedError> =>
  Layer.scoped(LdapTestbed, scoped(options))
