import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  AttributeMapping,
  ConfiguredMapping,
  decodePortalUser,
  defaultMapping,
  keyFields,
  type PortalUser
} from "@dfo-writeback/domain"
import { employeeEntry, LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, layer } from "@effect/vitest"
import { Chunk, ConfigProvider, Effect, Layer, Metric, Option, Redacted, Stream } from "effect"
import { LdapMetrics, PortalDirectory } from "../src/index.js"
import { currentTcpSockets, optionsFor, settledTcpSockets } from "./support.js"

const users = 1200
const weird = "we*ird(name)\\x"
const explicit = [
  { idautoID: "dup-1", idautoPersonSystem1ID: "dupe", idautoPersonPayrollID: "00900001" },
  { idautoID: "dup-2", idautoPersonSystem1ID: "Dupe", idautoPersonPayrollID: "00900002" },
  { idautoID: "weird", idautoPersonSystem1ID: weird },
  {
    idautoID: "claim-padded",
    idautoPersonSystem1ID: "claimpadded",
    idautoPersonPayrollID: "00030202"
  },
  { idautoID: "claim-bare", idautoPersonSystem1ID: "claimbare", idautoPersonPayrollID: "30202" },
  { idautoID: "claim-other", idautoPersonSystem1ID: "claimother", idautoPersonPayrollID: "300202" },
  { idautoID: "emp-padded", idautoPersonSystem1ID: "emppadded", idautoPersonPayrollID: "00950505" },
  { idautoID: "emp-tab", idautoPersonSystem1ID: "emptab", idautoPersonPayrollID: "00960606\t" },
  {
    idautoID: "multi",
    idautoPersonSystem1ID: "bjørn.dæhlie",
    idautoPersonSAMAccountName: ["bdae", "bdae2"],
    mail: ["first@uni.no", "second@uni.no"],
    idautoPersonAppRoles6: ["active directory", "Canvas"],
    idautoDisabled: "true"
  }
]
const expected = (entry: Parameters<ReturnType<typeof decodePortalUser>>[0]) =>
  decodePortalUser(defaultMapping)(entry)

const directoryLayer = Layer.unwrapEffect(
  Effect.map(LdapTestbed.LdapTestbed, (t) => PortalDirectory.layer(optionsFor(t)))
)

const attempt = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.flip(effect)

layer(LdapTestbed.layer({ users, seed: 9, tls: true, entries: explicit }), {
  excludeTestServices: true,
  timeout: "90 seconds"
})("PortalDirectory against slapd", (it) => {
  it.layer(directoryLayer)("lookups on the shared connection", (it) => {
    it.effect("finds a person by each key field, case-insensitively", () =>
      Effect.gen(function* () {
        const t = yield* LdapTestbed.LdapTestbed
        const directory = yield* PortalDirectory.PortalDirectory
        const person = t.employees.find((e) => e.username !== undefined && e.payrollId)
        assert.isDefined(person)
        const want = expected({ ...employeeEntry(person), dn: person.dn })
        const byUsername = yield* directory.findByKey(
          "username",
          (person.username ?? "").toUpperCase()
        )
        const byUh = yield* directory.findByKey("uh-username", person.uhUsername)
        const byId = yield* directory.findByKey("idautoID", person.idautoId.toUpperCase())
        assert.deepStrictEqual(byUsername, want)
        assert.deepStrictEqual(byUh, want)
        assert.deepStrictEqual(byId, want)
        assert.strictEqual(byId.sapId, person.payrollId)
      })
    )

    it.effect("finds every entry claiming an employee id, with or without leading zeros", () =>
      Effect.gen(function* () {
        const directory = yield* PortalDirectory.PortalDirectory
        for (const id of ["30202", "0030202", "00030202"]) {
          const found = yield* directory.findByEmployeeId(id)
          assert.deepStrictEqual(
            found.map((u) => u.idautoId).sort(),
            ["claim-bare", "claim-padded"],
            id
          )
        }
        assert.deepStrictEqual(yield* directory.findByEmployeeId("99999999"), [])
      })
    )

    it.effect("finds the claimants of several employee ids with few searches, by key", () =>
      Effect.gen(function* () {
        const t = yield* LdapTestbed.LdapTestbed
        const directory = yield* PortalDirectory.PortalDirectory
        const found = yield* directory.findByEmployeeIds([
          "30202",
          "00030202",
          "960606",
          "99999999"
        ])
        assert.deepStrictEqual([...found.keys()].sort(), ["30202", "960606", "99999999"])
        assert.deepStrictEqual(
          found
            .get("30202")
            ?.map((u) => u.idautoId)
            .sort(),
          ["claim-bare", "claim-padded"]
        )
        assert.deepStrictEqual(
          found.get("960606")?.map((u) => u.idautoId),
          ["emp-tab"]
        )
        assert.deepStrictEqual(found.get("99999999"), [])
        // More ids than one search asks for (50): each still finds its own entry.
        const people = t.employees.filter((e) => e.payrollId !== undefined).slice(0, 120)
        const byKey = yield* directory.findByEmployeeIds(people.map((p) => p.payrollId ?? ""))
        for (const person of people) {
          const key = (person.payrollId ?? "").replace(/^0+(?=\d)/, "")
          const found = (byKey.get(key) ?? []).map((u) => u.idautoId ?? "")
          assert.include(found, person.idautoId, person.payrollId)
        }
      })
    )

    it.effect("finds a person by employee-id, by numeric value (CONTRACT §2)", () =>
      Effect.gen(function* () {
        const directory = yield* PortalDirectory.PortalDirectory
        for (const id of ["950505", "0950505", "00950505", " 950505 "]) {
          const user = yield* directory.findByKey("employee-id", id)
          assert.strictEqual(user.idautoId, "emp-padded", id)
          assert.strictEqual(user.sapId, "00950505")
        }
        // 30202 is held as 00030202 and as 30202; 300202 holds the digits but is not the id.
        const twice = yield* attempt(directory.findByKey("employee-id", "30202"))
        assert.strictEqual(twice._tag, "AmbiguousKey")
        if (twice._tag === "AmbiguousKey") {
          assert.strictEqual(twice.matches, 2)
          assert.strictEqual(twice.keyField, "employee-id")
        }
        const other = yield* directory.findByKey("employee-id", "300202")
        assert.strictEqual(other.idautoId, "claim-other")
        const missing = yield* attempt(directory.findByKey("employee-id", "99999999"))
        assert.strictEqual(missing._tag, "UserNotFound")
        // A malformed id is no key match; check 6a's search still finds its claim.
        const malformed = yield* attempt(directory.findByKey("employee-id", "960606"))
        assert.strictEqual(malformed._tag, "UserNotFound")
        const claims = yield* directory.findByEmployeeId("960606")
        assert.deepStrictEqual(
          claims.map((u) => u.idautoId),
          ["emp-tab"]
        )
        for (const value of ["1*)(objectClass=*", "*0202", "0*", "950505*", "123456789"]) {
          const error = yield* attempt(directory.findByKey("employee-id", value))
          assert.strictEqual(error._tag, "UserNotFound", value)
        }
      })
    )

    it.effect("decodes multi-valued, non-ASCII and absent attributes", () =>
      Effect.gen(function* () {
        const directory = yield* PortalDirectory.PortalDirectory
        const user: PortalUser = yield* directory.findByKey("username", "bjørn.dæhlie")
        assert.strictEqual(user.dn, "idautoID=multi,ou=Accounts,dc=meta")
        assert.strictEqual(user.idautoId, "multi")
        assert.strictEqual(user.username, "bjørn.dæhlie")
        // brukerident is the employee number, epost has no mail fallback (CONTRACT §1)
        assert.isUndefined(user.brukerident)
        assert.isUndefined(user.epost)
        assert.strictEqual(user.uhUsername, "bdae")
        // LDAP does not order values: the rules refuse a value taken from several
        assert.include(["first@uni.no", "second@uni.no"], user.eksternIdent)
        assert.deepStrictEqual(user.multiValued, [
          { field: "eksternIdent", attribute: "mail", count: 2 }
        ])
        assert.isUndefined(user.sapId)
        assert.isTrue(user.disabled)
        assert.isFalse(user.deleted)
        assert.deepStrictEqual(user.entitlements, ["active directory", "Canvas"])
        assert.deepStrictEqual(user.businessRoles, [])
        const byUh = yield* directory.findByKey("uh-username", "BDAE2")
        assert.strictEqual(byUh.dn, user.dn)
      })
    )

    it.effect("answers UserNotFound and AmbiguousKey", () =>
      Effect.gen(function* () {
        const directory = yield* PortalDirectory.PortalDirectory
        const missing = yield* attempt(directory.findByKey("username", "nobody-here"))
        assert.strictEqual(missing._tag, "UserNotFound")
        if (missing._tag === "UserNotFound") {
          assert.strictEqual(missing.keyField, "username")
          assert.strictEqual(missing.keyValue, "nobody-here")
        }
        const twice = yield* attempt(directory.findByKey("username", "DUPE"))
        assert.strictEqual(twice._tag, "AmbiguousKey")
        if (twice._tag === "AmbiguousKey") assert.strictEqual(twice.matches, 2)
        const blank = yield* attempt(directory.findByKey("idautoID", ""))
        assert.strictEqual(blank._tag, "UserNotFound")
      })
    )

    it.effect("escapes key values: filter syntax matches only itself", () =>
      Effect.gen(function* () {
        const directory = yield* PortalDirectory.PortalDirectory
        const injections = [
          "*",
          "a*)(objectClass=*",
          "*)(|(idautoPersonSystem1ID=*",
          "\\",
          "\\2a",
          "(",
          ")",
          "\0",
          "dupe\0"
        ]
        for (const keyField of keyFields) {
          for (const value of injections) {
            const error = yield* attempt(directory.findByKey(keyField, value))
            assert.strictEqual(error._tag, "UserNotFound", `${keyField} ${JSON.stringify(value)}`)
          }
        }
        const literal = yield* directory.findByKey("username", weird)
        assert.strictEqual(literal.idautoId, "weird")
      })
    )

    it.effect("reuses one bound connection for many lookups", () =>
      Effect.gen(function* () {
        const t = yield* LdapTestbed.LdapTestbed
        const directory = yield* PortalDirectory.PortalDirectory
        yield* directory.findByKey("idautoID", "weird")
        const before = yield* currentTcpSockets
        const people = t.employees.slice(0, 40)
        yield* Effect.forEach(people, (p) => directory.findByKey("idautoID", p.idautoId), {
          concurrency: 8
        })
        assert.strictEqual(yield* currentTcpSockets, before)
      })
    )
  })

  it.scoped(`streams all ${users}+ entries through a size limit of 200`, () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const directory = yield* PortalDirectory.make(optionsFor(t))
      const all = yield* Stream.runCollect(directory.streamAll())
      assert.strictEqual(all.length, users + explicit.length)
      const byId = new Map(Chunk.toArray(all).map((u) => [u.idautoId, u]))
      assert.strictEqual(byId.size, all.length)
      for (const person of t.employees) {
        assert.deepStrictEqual(
          byId.get(person.idautoId),
          expected({ ...employeeEntry(person), dn: person.dn })
        )
      }
      const small = yield* PortalDirectory.make(optionsFor(t, { pageSize: 7 }))
      assert.strictEqual(yield* Stream.runCount(small.streamAll()), users + explicit.length)
    })
  )

  it.scoped("runs concurrent employee id searches on one connection, page by page", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const directory = yield* PortalDirectory.make(optionsFor(t, { pageSize: 1 }))
      yield* directory.findByKey("idautoID", "weird")
      const before = yield* currentTcpSockets
      const ids = ["30202", "00030202", "960606", "30202", "0030202", "960606"]
      const [found, looked] = yield* Effect.all(
        [
          Effect.forEach(ids, (id) => directory.findByEmployeeId(id), { concurrency: "unbounded" }),
          // Plain lookups between their pages leave the paged search alone.
          Effect.forEach(ids, () => directory.findByKey("idautoID", "claim-bare"), {
            concurrency: "unbounded"
          })
        ],
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(
        looked.map((u) => u.idautoId),
        ids.map(() => "claim-bare")
      )
      assert.deepStrictEqual(
        found.map((users) => users.map((u) => u.idautoId).sort()),
        ids.map((id) => (id === "960606" ? ["emp-tab"] : ["claim-bare", "claim-padded"]))
      )
      // No connection of their own: the shared one served every page.
      assert.strictEqual(yield* currentTcpSockets, before)
    })
  )

  it.scoped("times every lookup and page in the search histogram, failed ones too", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const count = (operation: string) =>
        Effect.map(
          Metric.value(Metric.tagged(LdapMetrics.searchDuration, "operation", operation)),
          (state) => state.count
        )
      const lookups = yield* count("lookup")
      const pages = yield* count("page")
      const directory = yield* PortalDirectory.make(optionsFor(t, { pageSize: 500 }))
      yield* directory.findByKey("idautoID", "weird")
      yield* Effect.flip(directory.findByKey("username", "nobody-here"))
      yield* directory.findByKey("employee-id", "950505")
      const nowhere = yield* PortalDirectory.make(optionsFor(t, { baseDn: "ou=Nowhere,dc=meta" }))
      yield* Effect.flip(nowhere.findByKey("username", "dupe"))
      assert.strictEqual((yield* count("lookup")) - lookups, 4)
      yield* Stream.runDrain(directory.streamAll())
      // Three pages of entries, and the request that finds the search done.
      assert.isAtLeast((yield* count("page")) - pages, 3)
    })
  )

  it.scoped("reads ldapts' entries straight through a mapping spelled in any case", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const upper = (name: string) => name.toUpperCase()
      const shouted = AttributeMapping.make({
        ...defaultMapping,
        idautoId: upper(defaultMapping.idautoId),
        sapId: upper(defaultMapping.sapId),
        eksternIdent: [upper("idautoPersonSystem5ID"), upper("mail")],
        epost: [upper("idautoPersonSystem2ID")],
        brukerident: [upper(defaultMapping.sapId)],
        username: upper(defaultMapping.username),
        uhUsername: upper(defaultMapping.uhUsername),
        disabled: upper(defaultMapping.disabled),
        deleted: upper(defaultMapping.deleted),
        entitlements: defaultMapping.entitlements.map(upper),
        businessRoles: upper(defaultMapping.businessRoles)
      })
      const plain = yield* PortalDirectory.make(optionsFor(t, { pageSize: 100 }))
      const loud = yield* PortalDirectory.make(optionsFor(t, { pageSize: 100, mapping: shouted }))
      const want = Chunk.toArray(yield* Stream.runCollect(plain.streamAll()))
      const got = Chunk.toArray(yield* Stream.runCollect(loud.streamAll()))
      assert.strictEqual(got.length, users + explicit.length)
      const withoutNames = ({ multiValued, ...user }: PortalUser) => ({
        ...user,
        multiValued: multiValued.map((m) => ({ ...m, attribute: m.attribute.toLowerCase() }))
      })
      assert.deepStrictEqual(got.map(withoutNames), want.map(withoutNames))
      const multi = yield* loud.findByKey("username", "bjørn.dæhlie")
      assert.deepStrictEqual(multi.multiValued, [
        { field: "eksternIdent", attribute: "MAIL", count: 2 }
      ])
      assert.strictEqual(multi.uhUsername, "bdae")
      assert.isTrue(multi.disabled)
    })
  )

  it.scoped("streams every entry's employee ids alone, for a full run's duplicate pass", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const directory = yield* PortalDirectory.make(optionsFor(t, { pageSize: 50 }))
      const claims = Chunk.toArray(yield* Stream.runCollect(directory.streamEmployeeIds()))
      assert.strictEqual(claims.length, users + explicit.length)
      const full = Chunk.toArray(yield* Stream.runCollect(directory.streamAll()))
      const sapIdOf = new Map(full.map((u) => [u.dn, u.sapId]))
      for (const claim of claims) {
        assert.deepStrictEqual(
          claim.employeeIds.slice(0, 1),
          [sapIdOf.get(claim.dn)].filter((id) => id !== undefined),
          claim.dn
        )
      }
      assert.deepStrictEqual(claims.find((c) => c.idautoId === "claim-bare")?.employeeIds, [
        "30202"
      ])
    })
  )

  it.scoped("closes its connection when the consumer stops early or is interrupted", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const directory = yield* PortalDirectory.make(optionsFor(t, { pageSize: 50 }))
      const baseline = yield* currentTcpSockets
      const five = yield* Stream.runCollect(Stream.take(directory.streamAll(), 5))
      assert.strictEqual(five.length, 5)
      assert.strictEqual(yield* settledTcpSockets(baseline), baseline)
      const slow = yield* directory.streamAll().pipe(
        Stream.tap(() => Effect.sleep("5 millis")),
        Stream.runDrain,
        Effect.timeout("150 millis"),
        Effect.option
      )
      assert.isTrue(Option.isNone(slow))
      assert.strictEqual(yield* settledTcpSockets(baseline), baseline)
    })
  )

  it.scoped("speaks StartTLS and LDAPS with the testbed's CA", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const startTls = yield* PortalDirectory.make(
        optionsFor(t, { startTls: true, caFile: t.caFile })
      )
      const viaStartTls = yield* startTls.findByKey("idautoID", "weird")
      assert.strictEqual(viaStartTls.username, weird)
      assert.strictEqual(yield* Stream.runCount(startTls.streamAll()), users + explicit.length)
      const ldaps = yield* PortalDirectory.make(
        optionsFor(t, { url: t.ldapsUrl ?? "", caFile: t.caFile })
      )
      assert.strictEqual((yield* ldaps.findByKey("idautoID", "weird")).username, weird)
      assert.strictEqual(yield* Stream.runCount(ldaps.streamAll()), users + explicit.length)
    })
  )

  it.scoped("fails TLS against the wrong CA, in lookups and streams", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const dir = yield* Effect.acquireRelease(
        Effect.promise(() => mkdtemp(join(tmpdir(), "wrong-ca-"))),
        (d) => Effect.promise(() => rm(d, { recursive: true, force: true }))
      )
      const other = yield* Effect.promise(() => LdapTestbed.generateCertificates(dir))
      for (const options of [
        optionsFor(t, { startTls: true, caFile: other.caFile }),
        optionsFor(t, { url: t.ldapsUrl ?? "", caFile: other.caFile })
      ]) {
        const directory = yield* PortalDirectory.make(options)
        const lookup = yield* attempt(directory.findByKey("idautoID", "weird"))
        assert.strictEqual(lookup._tag, "LdapConnectionError")
        if (lookup._tag === "LdapConnectionError") {
          assert.strictEqual(lookup.step, "tls")
          assert.strictEqual(lookup.code, "LDAP_CONNECTION_FAILED")
          assert.strictEqual(lookup.url, options.url)
          assert.match(lookup.reason, /certificate|self.signed|verify/i)
        }
        const stream = yield* attempt(Stream.runDrain(directory.streamAll()))
        assert.strictEqual(stream.step, "tls")
      }
      const missing = yield* attempt(
        PortalDirectory.make(optionsFor(t, { startTls: true, caFile: join(dir, "nope.pem") }))
      )
      assert.strictEqual(missing.step, "tls")
      assert.match(missing.reason, /CA file/)
    })
  )

  it.scoped("reports a wrong password as a bind failure without the password", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const password = "S3cret-not-this-one"
      const directory = yield* PortalDirectory.make(
        optionsFor(t, { bindPassword: Redacted.make(password) })
      )
      for (const error of [
        yield* attempt(directory.findByKey("username", "dupe")),
        yield* attempt(Stream.runDrain(directory.streamAll()))
      ]) {
        assert.strictEqual(error._tag, "LdapConnectionError")
        if (error._tag !== "LdapConnectionError") continue
        assert.strictEqual(error.step, "bind")
        assert.match(error.reason, /InvalidCredentials|49/)
        assert.notInclude(error.message, password)
        assert.notInclude(JSON.stringify(error), password)
      }
    })
  )

  it.scoped("reports a search failure with its step", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const directory = yield* PortalDirectory.make(optionsFor(t, { baseDn: "ou=Nowhere,dc=meta" }))
      const error = yield* attempt(directory.findByKey("username", "dupe"))
      assert.strictEqual(error._tag, "LdapConnectionError")
      if (error._tag === "LdapConnectionError") assert.strictEqual(error.step, "search")
      assert.strictEqual((yield* attempt(Stream.runDrain(directory.streamAll()))).step, "search")
    })
  )

  it.effect("builds from the PORTAL_LDAP_* configuration and the ConfiguredMapping", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const provider = ConfigProvider.fromMap(
        new Map([
          ["PORTAL_LDAP_URL", t.url],
          ["PORTAL_LDAP_BIND_DN", t.bindDn],
          ["PORTAL_LDAP_BIND_PASSWORD", t.password],
          ["PORTAL_LDAP_STARTTLS", "true"],
          ["PORTAL_LDAP_CA_FILE", t.caFile ?? ""],
          ["PORTAL_LDAP_PAGE_SIZE", "100"]
        ])
      )
      // Usernames matched against the SAM account name: the service's mapping, not the default.
      const mapping = ConfiguredMapping.layer(
        AttributeMapping.make({ ...defaultMapping, username: defaultMapping.uhUsername })
      )
      const { count, found } = yield* Effect.flatMap(PortalDirectory.PortalDirectory, (d) =>
        Effect.all({
          count: Stream.runCount(d.streamAll()),
          found: d.findByKey("username", "bdae2")
        })
      ).pipe(
        Effect.provide(PortalDirectory.layerConfig.pipe(Layer.provide(mapping))),
        Effect.withConfigProvider(provider)
      )
      assert.strictEqual(count, users + explicit.length)
      assert.strictEqual(found.idautoId, "multi")
    })
  )
})
