import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { Client, type Entry, ResultCodeError } from "ldapts"
import { Population } from "@dfo-writeback/population"
import { ChildProcess } from "@dfo-writeback/testkit"
import { LdapTestbed } from "../src/index.js"

const idautoPerson = "(objectClass=idautoPerson)"

/** Runs `f` with an ldapts client bound as the given account, and unbinds. */
const withClient = <A>(
  url: string,
  credentials: { readonly dn: string; readonly password: string } | undefined,
  f: (client: Client) => Promise<A>,
  options: { readonly caFile?: string; readonly startTls?: boolean } = {}
) =>
  Effect.promise(async () => {
    const tlsOptions = options.caFile === undefined ? {} : { ca: [readFileSync(options.caFile)] }
    // ldapts speaks TLS from the first byte whenever tlsOptions are given, even on ldap://,
    // so StartTLS gets them only when upgrading.
    const client = new Client({
      url,
      connectTimeout: 3000,
      timeout: 10_000,
      ...(options.startTls ? {} : { tlsOptions })
    })
    try {
      if (options.startTls) await client.startTLS(tlsOptions)
      if (credentials) await client.bind(credentials.dn, credentials.password)
      return await f(client)
    } finally {
      await client.unbind().catch(() => undefined)
    }
  })

const service = (t: LdapTestbed.Testbed) => ({ dn: t.bindDn, password: t.password })

/** The LDAP result code a promise rejects with, or "ok". */
const resultCode = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok" as const,
    (error: unknown) => (error instanceof ResultCodeError ? error.code : String(error))
  )

const allPaged = (client: Client, base: string) =>
  client.search(base, { filter: idautoPerson, paged: { pageSize: 100 } })

const values = (entry: Entry | undefined, name: string) => {
  const value = entry?.[name]
  return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String)
}

const explicitEntries = [
  { idautoID: "dup-1", idautoPersonSystem1ID: "same", idautoPersonPayrollID: "00000001" },
  { idautoID: "dup-2", idautoPersonSystem1ID: "same", idautoPersonPayrollID: "00000002" },
  { idautoID: "multi", mail: ["a@uni.no", "b@uni.no"], cn: "Åse Ødegård" }
]

layer(LdapTestbed.layer({ users: 300, seed: 42, tls: true, entries: explicitEntries }), {
  excludeTestServices: true,
  timeout: "60 seconds"
})("a started testbed", (it) => {
  it.effect("serves every generated and explicit entry to a paged search", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const { searchEntries } = yield* withClient(t.url, service(t), (c) => allPaged(c, t.baseDn))
      assert.strictEqual(searchEntries.length, 300 + explicitEntries.length)
      assert.strictEqual(t.employees.length, 300)
      const person = t.employees[17]
      assert.isDefined(person)
      const entry = searchEntries.find((e) => e.dn === person.dn)
      assert.deepStrictEqual(values(entry, "cn"), [person.cn])
      assert.deepStrictEqual(values(entry, "idautoPersonPayrollID"), ["00100017"])
      const multi = searchEntries.find((e) => e.dn === "idautoID=multi,ou=Accounts,dc=meta")
      assert.deepStrictEqual(values(multi, "mail"), ["a@uni.no", "b@uni.no"])
      assert.deepStrictEqual(values(multi, "cn"), ["Åse Ødegård"])
    })
  )

  it.effect("cuts an unpaged search at the size limit of 200", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const code = yield* withClient(t.url, service(t), (c) =>
        resultCode(c.search(t.baseDn, { filter: idautoPerson }))
      )
      assert.strictEqual(code, 4) // sizeLimitExceeded
      const { searchEntries } = yield* withClient(t.url, service(t), (c) =>
        c.search(t.baseDn, { filter: idautoPerson, sizeLimit: 1000 })
      )
      assert.strictEqual(searchEntries.length, 200)
    })
  )

  it.effect("matches usernames case-insensitively, duplicates included", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const person = t.employees.find((e) => e.username !== undefined)
      assert.isDefined(person)
      const found = yield* withClient(t.url, service(t), (c) =>
        c.search(t.baseDn, {
          filter: `(idautoPersonSystem1ID=${person.username?.toUpperCase()})`
        })
      )
      assert.deepStrictEqual(
        found.searchEntries.map((e) => e.dn),
        [person.dn]
      )
      const same = yield* withClient(t.url, service(t), (c) =>
        c.search(t.baseDn, { filter: "(idautoPersonSystem1ID=same)" })
      )
      assert.strictEqual(same.searchEntries.length, 2)
    })
  )

  it.effect("lets the service account read the accounts and nothing else", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const outside = yield* withClient(t.url, service(t), (c) =>
        Promise.all([
          resultCode(c.search(t.suffix, { scope: "base" })),
          resultCode(c.search(t.bindDn, { scope: "base" }))
        ])
      )
      assert.deepStrictEqual(outside, [32, 32]) // noSuchObject: invisible
      const anonymous = yield* withClient(t.url, undefined, (c) =>
        resultCode(c.search(t.baseDn, { filter: idautoPerson }))
      )
      assert.strictEqual(anonymous, 32)
      const write = yield* withClient(t.url, service(t), (c) =>
        resultCode(
          c.add("idautoID=nope,ou=Accounts,dc=meta", {
            objectClass: ["inetOrgPerson", "idautoPerson"],
            idautoID: "nope",
            cn: "nope",
            sn: "nope"
          })
        )
      )
      assert.strictEqual(write, 50) // insufficientAccessRights
      const badPassword = yield* withClient(t.url, undefined, (c) =>
        resultCode(c.bind(t.bindDn, "wrong"))
      )
      assert.strictEqual(badPassword, 49)
    })
  )

  it.effect("adds explicit entries while running", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      yield* Effect.promise(() =>
        t.add([{ idautoID: "added-later", idautoPersonSAMAccountName: "Later" }])
      )
      const found = yield* withClient(t.url, service(t), (c) =>
        c.search(t.baseDn, { filter: "(idautoPersonSAMAccountName=later)" })
      )
      assert.deepStrictEqual(
        found.searchEntries.map((e) => e.dn),
        ["idautoID=added-later,ou=Accounts,dc=meta"]
      )
    })
  )

  it.effect("replaces attributes as the manager, naming no value when refused", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const [first, second] = t.employees
      assert.isDefined(first)
      assert.isDefined(second)
      yield* LdapTestbed.replaceAttributes(
        LdapTestbed.manager(t),
        [
          { dn: first.dn, attribute: "idautoPersonSystem2ID", values: ["first@bench.uni.no"] },
          { dn: second.dn, attribute: "description", values: ["one", "two"] }
        ],
        { inFlight: 2 }
      )
      const read = (dn: string) =>
        withClient(t.url, service(t), (c) => c.search(dn, { scope: "base" })).pipe(
          Effect.map(({ searchEntries }) => searchEntries[0])
        )
      assert.deepStrictEqual(values(yield* read(first.dn), "idautoPersonSystem2ID"), [
        "first@bench.uni.no"
      ])
      assert.deepStrictEqual(values(yield* read(second.dn), "description").sort(), ["one", "two"])

      const missing = "idautoID=nobody,ou=Accounts,dc=meta"
      const refused = yield* Effect.flip(
        LdapTestbed.replaceAttributes(LdapTestbed.manager(t), [
          { dn: missing, attribute: "idautoPersonSystem2ID", values: ["secret@bench.uni.no"] }
        ])
      )
      assert.strictEqual(refused._tag, "LdapTestbedError")
      assert.include(refused.message, missing)
      assert.notInclude(refused.message, "secret@bench.uni.no")
    })
  )

  it.effect("speaks StartTLS and LDAPS with the generated CA", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      assert.isDefined(t.caFile)
      assert.isDefined(t.ldapsUrl)
      const caFile = t.caFile ?? ""
      const scope = { scope: "base" as const }
      const viaStartTls = yield* withClient(t.url, service(t), (c) => c.search(t.baseDn, scope), {
        caFile,
        startTls: true
      })
      const viaLdaps = yield* withClient(
        t.ldapsUrl ?? "",
        service(t),
        (c) => c.search(t.baseDn, scope),
        { caFile }
      )
      assert.strictEqual(viaStartTls.searchEntries.length, 1)
      assert.strictEqual(viaLdaps.searchEntries.length, 1)
    })
  )

  it.effect("comes back with its data after kill and restart", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const pid = t.pid()
      yield* Effect.promise(() => t.kill())
      assert.isUndefined(t.pid())
      assert.isFalse(pid !== undefined && ChildProcess.alive(pid))
      const down = yield* Effect.promise(() =>
        new Client({ url: t.url, connectTimeout: 1000 }).bind(t.bindDn, t.password).then(
          () => "up",
          () => "down"
        )
      )
      assert.strictEqual(down, "down")
      yield* Effect.promise(() => t.restart())
      const { searchEntries } = yield* withClient(t.url, service(t), (c) => allPaged(c, t.baseDn))
      assert.isAtLeast(searchEntries.length, 300 + explicitEntries.length)
    })
  )
})

describe("lifecycle", () => {
  it.live("stop ends slapd and removes the temp dir, once", () =>
    Effect.gen(function* () {
      const t = yield* Effect.promise(() => LdapTestbed.start({ users: 5 }))
      const pid = t.pid()
      assert.isTrue(existsSync(t.dir))
      assert.isTrue(pid !== undefined && ChildProcess.alive(pid))
      yield* Effect.promise(() => Promise.all([t.stop(), t.stop()]))
      assert.isFalse(existsSync(t.dir))
      assert.isFalse(pid !== undefined && ChildProcess.alive(pid))
    })
  )

  it.live("the scoped form stops when its scope closes, also after a failure", () =>
    Effect.gen(function* () {
      let dir = ""
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            const t = yield* LdapTestbed.scoped({ users: 1 })
            dir = t.dir
            assert.isTrue(existsSync(dir))
            return yield* Effect.fail("the test failed")
          })
        )
      )
      assert.isTrue(exit._tag === "Failure")
      assert.isFalse(existsSync(dir))
    })
  )

  it.live("loads a population: unpadded, shared and multi-valued payroll ids as generated", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const population = Population.make({
          count: 80,
          seed: 2,
          mix: { duplicate: 0.1, multiValued: 0.2 }
        })
        // Stamped as modified long ago, as the bench loads it for an incremental run.
        const t = yield* LdapTestbed.scoped({ population, modifyTimestamp: "20250101000000Z" })
        assert.strictEqual(t.employees, population.people)
        const stamps = yield* withClient(t.url, service(t), (c) =>
          c.search(t.baseDn, {
            filter: idautoPerson,
            attributes: ["modifyTimestamp"],
            paged: { pageSize: 100 }
          })
        )
        assert.deepStrictEqual(
          [...new Set(stamps.searchEntries.flatMap((e) => values(e, "modifyTimestamp")))],
          ["20250101000000Z"]
        )
        const { searchEntries } = yield* withClient(t.url, service(t), (c) => allPaged(c, t.baseDn))
        assert.strictEqual(searchEntries.length, 80)
        const byDn = new Map(searchEntries.map((e) => [e.dn, e]))
        const attributes = [
          "idautoPersonPayrollID",
          "idautoPersonSystem5ID",
          "idautoPersonSystem2ID",
          "mail"
        ]
        for (const entry of population.entries) {
          const loaded = byDn.get(entry.dn ?? "")
          for (const name of attributes) {
            const want = entry[name]
            assert.deepStrictEqual(
              [...values(loaded, name)].sort(),
              want === undefined ? [] : (typeof want === "string" ? [want] : [...want]).sort(),
              `${entry.dn} ${name}`
            )
          }
        }
        assert.isTrue(population.people.some((p) => p.multiValued !== undefined))
        assert.isTrue(population.people.some((p) => (p.payrollId ?? "00000000").length < 8))
      })
    )
  )

  it.live("reports a duplicate entry without leaving anything behind", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        LdapTestbed.scoped({ entries: [{ idautoID: "x" }, { idautoID: "x" }] }).pipe(Effect.scoped)
      )
      assert.strictEqual(error._tag, "LdapTestbedError")
      assert.match(error.message, /slapadd/)
    })
  )

  it.live("the command prints how to connect and cleans up on Ctrl-C", () =>
    Effect.gen(function* () {
      const bin = fileURLToPath(new URL("../bin/ldap-testbed.js", import.meta.url))
      const child = yield* ChildProcess.start(
        process.execPath,
        [bin, "--users", "3", "--seed", "5"],
        {
          stderr: "inherit",
          readyWhen: (line) => (line.includes("Ctrl-C") ? true : undefined)
        }
      )
      const { stdout: output } = yield* child.output
      const url = /PORTAL_LDAP_URL=(\S+)/.exec(output)?.[1]
      const password = /PORTAL_LDAP_BIND_PASSWORD=(\S+)/.exec(output)?.[1]
      assert.match(url ?? "", /^ldap:\/\/127\.0\.0\.1:\d+$/)
      const { searchEntries } = yield* withClient(
        url ?? "",
        { dn: "cn=writeback,dc=meta", password: password ?? "" },
        (client) => client.search("ou=Accounts,dc=meta", { filter: idautoPerson })
      )
      assert.deepStrictEqual(
        searchEntries.map((e) => e["idautoID"]).sort(),
        Population.make({ count: 3, seed: 5 })
          .people.map((p) => p.idautoId)
          .sort()
      )
      yield* child.signal("SIGINT")
      yield* child.exit
      const dir = /# files in ([^;\s]+)/.exec(output)?.[1]
      assert.isDefined(dir)
      assert.isFalse(existsSync(dir ?? ""))
    }).pipe(Effect.scoped, Effect.provide(ChildProcess.layer))
  )
})
