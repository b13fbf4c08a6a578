import { assert, describe, it } from "@effect/vitest"
import { Config, Effect, Either, Redacted } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { AttributeMappingConfig } from "@dfo-writeback/domain"
import { WritebackConfig } from "@dfo-writeback/writeback"
import { ConfigSource } from "@dfo-writeback/edge"
import { catalogue } from "../src/Catalogue.js"

/** A temp dir with the given files, removed when the test's scope closes. */
const files = (contents: Readonly<Record<string, string>>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-source-"))
      for (const [name, text] of Object.entries(contents)) {
        fs.writeFileSync(path.join(dir, name), text)
      }
      return (name: string) => path.join(dir, name)
    }),
    (at) => Effect.sync(() => fs.rmSync(path.dirname(at("x")), { recursive: true, force: true }))
  )

const read = <A>(config: Config.Config<A>, env: Record<string, string>) =>
  ConfigSource.read(catalogue, config, env)

/** The problems `read` fails with; the test fails when it succeeds. */
const problemsOf = <A>(config: Config.Config<A>, env: Record<string, string>) =>
  Effect.map(Effect.flip(read(config, env)), (error): Array<string> => [...error.problems])

const settings = WritebackConfig.WritebackSettingsConfig
const withMapping = Config.all({ settings, mapping: AttributeMappingConfig })

describe("ConfigSource", () => {
  it.scoped("readSourced says where each value came from: environment, NAME_FILE, the file", () =>
    Effect.gen(function* () {
      const at = yield* files({
        key: "from-file\n",
        "writeback.json": JSON.stringify({
          SAP_CONCURRENCY: 3,
          SAP_MAX_RPS: 9,
          mapping: { epost: ["mail"] }
        })
      })
      const read = yield* ConfigSource.readSourced(
        catalogue,
        Config.all({
          key: Config.string("SAP_API_KEY"),
          concurrency: Config.integer("SAP_CONCURRENCY"),
          rps: Config.integer("SAP_MAX_RPS"),
          mapping: AttributeMappingConfig
        }),
        {
          SAP_API_KEY_FILE: at("key"),
          SAP_MAX_RPS: "7",
          WRITEBACK_CONFIG: at("writeback.json")
        }
      )
      assert.deepStrictEqual(Object.fromEntries(read.sources), {
        SAP_API_KEY: { _tag: "secretFile", variable: "SAP_API_KEY_FILE" },
        SAP_MAX_RPS: { _tag: "environment" },
        SAP_API_KEY_FILE: { _tag: "environment" },
        WRITEBACK_CONFIG: { _tag: "environment" },
        SAP_CONCURRENCY: { _tag: "configFile", path: at("writeback.json") },
        mapping_epost: { _tag: "configFile", path: at("writeback.json") }
      })
      // The environment's SAP_MAX_RPS wins over the file's, and is the one recorded.
      assert.strictEqual(read.value.rps, 7)
      assert.strictEqual(read.values.get("SAP_MAX_RPS"), "7")
      assert.strictEqual(read.value.key, "from-file")
    })
  )

  it.scoped("reads a secret from NAME_FILE, all surrounding whitespace trimmed", () =>
    Effect.gen(function* () {
      const at = yield* files({ key: "  s3cret\n\n" })
      const key = yield* read(Config.redacted("SAP_API_KEY"), { SAP_API_KEY_FILE: at("key") })
      assert.strictEqual(Redacted.value(key), "s3cret")
    })
  )

  it.scoped("a secret's _FILE form in the environment wins over WRITEBACK_CONFIG", () =>
    Effect.gen(function* () {
      const at = yield* files({
        key: "from-file\n",
        "writeback.json": JSON.stringify({ SAP_API_KEY: "from-config" })
      })
      const key = yield* read(Config.string("SAP_API_KEY"), {
        SAP_API_KEY_FILE: at("key"),
        WRITEBACK_CONFIG: at("writeback.json")
      })
      assert.strictEqual(key, "from-file")
    })
  )

  it.scoped("a variable set together with its _FILE form is an error", () =>
    Effect.gen(function* () {
      const at = yield* files({ key: "from-file" })
      const problems = yield* problemsOf(Config.string("SAP_API_KEY"), {
        SAP_API_KEY: "from-env",
        SAP_API_KEY_FILE: at("key")
      })
      assert.deepStrictEqual(problems, [
        "SAP_API_KEY and SAP_API_KEY_FILE are both set; set only one"
      ])
    })
  )

  it.scoped("empty values are errors, and every problem is listed in one message", () =>
    Effect.gen(function* () {
      const at = yield* files({ empty: "\n \n" })
      const problems = yield* problemsOf(Config.string("SAP_API_KEY"), {
        SAP_API_KEY: "",
        SAP_READ_ONLY: " ",
        PORTAL_LDAP_BIND_PASSWORD_FILE: at("empty"),
        GRPC_AUTH_TOKENS_FILE: "/nonexistent/tokens"
      })
      assert.includeMembers(problems, [
        "SAP_API_KEY is set but empty",
        "SAP_READ_ONLY is set but empty; unset it to use the default (false)",
        `PORTAL_LDAP_BIND_PASSWORD_FILE: ${at("empty")} is empty`
      ])
      assert.isTrue(
        problems.some((p) => p.startsWith("GRPC_AUTH_TOKENS_FILE: cannot read /nonexistent/tokens"))
      )
      assert.strictEqual(problems.length, 4)
    })
  )

  it.effect("other *_FILE settings stay paths: a CA bundle is not read as a secret", () =>
    Effect.gen(function* () {
      const ca = yield* read(Config.string("PORTAL_LDAP_CA_FILE"), {
        PORTAL_LDAP_CA_FILE: "/etc/ssl/certs/uni-ca.pem"
      })
      assert.strictEqual(ca, "/etc/ssl/certs/uni-ca.pem")
    })
  )

  it.scoped("WRITEBACK_CONFIG supplies settings and the mapping; the environment wins", () =>
    Effect.gen(function* () {
      const at = yield* files({
        "writeback.json": JSON.stringify({
          SAP_CONCURRENCY: 3,
          SAP_READ_ONLY: true,
          SAP_WRITEBACK_BUSINESS_ROLE_EXCEPTION: "iam:external, iam:guest",
          mapping: { eksternIdent: ["eduPersonPrincipalName", "mail"], sapId: "employeeNumber" }
        })
      })
      const { settings: read_, mapping } = yield* read(withMapping, {
        WRITEBACK_CONFIG: at("writeback.json"),
        SAP_READ_ONLY: "false"
      })
      assert.strictEqual(read_.concurrency, 3)
      assert.strictEqual(read_.readOnly, false)
      assert.deepStrictEqual(read_.rules.businessRoleExceptions, ["iam:external", "iam:guest"])
      assert.deepStrictEqual(mapping.eksternIdent, ["eduPersonPrincipalName", "mail"])
      assert.strictEqual(mapping.sapId, "employeeNumber")
      assert.strictEqual(mapping.idautoId, "idautoID")
    })
  )

  it.scoped("an invalid environment value is an error even when the file has the key", () =>
    Effect.gen(function* () {
      const at = yield* files({
        "writeback.json": JSON.stringify({ SAP_READ_ONLY: false, WRITEBACK_MAX_UPDATES: 100000 })
      })
      const problems = yield* problemsOf(settings, {
        WRITEBACK_CONFIG: at("writeback.json"),
        SAP_READ_ONLY: "TRUE",
        WRITEBACK_MAX_UPDATES: "1O"
      })
      assert.strictEqual(problems.length, 2, problems.join("\n"))
      assert.isTrue(problems.some((p) => p.startsWith("SAP_READ_ONLY:")))
      assert.isTrue(problems.some((p) => p.startsWith("WRITEBACK_MAX_UPDATES:")))
    })
  )

  it.scoped("unknown keys in the file, top level and mapping, each named with a suggestion", () =>
    Effect.gen(function* () {
      const at = yield* files({
        "writeback.json": JSON.stringify({
          sapReadOnly: true,
          SAP_READONLY: true,
          mappings: {},
          FOO: 1,
          mapping: { ekstern_ident: ["mail"], sapID: "employeeNumber" }
        })
      })
      const where = `WRITEBACK_CONFIG ${at("writeback.json")}`
      const problems = yield* problemsOf(settings, { WRITEBACK_CONFIG: at("writeback.json") })
      assert.sameMembers(problems, [
        `${where}: unknown setting "sapReadOnly" (did you mean SAP_READ_ONLY?)`,
        `${where}: unknown setting "SAP_READONLY" (did you mean SAP_READ_ONLY?)`,
        `${where}: unknown setting "mappings" (did you mean mapping?)`,
        `${where}: unknown setting "FOO"`,
        `${where}: unknown mapping key "ekstern_ident" (did you mean eksternIdent?)`,
        `${where}: unknown mapping key "sapID" (did you mean sapId?)`
      ])
    })
  )

  it.effect("an unknown variable under our prefixes is an error with a suggestion", () =>
    Effect.gen(function* () {
      const problems = yield* problemsOf(settings, { SAP_READONLY: "true", GRPC_TRACE: "all" })
      assert.deepStrictEqual(problems, [
        `SAP_READONLY: unknown setting "SAP_READONLY" (did you mean SAP_READ_ONLY?)`
      ])
    })
  )

  it.scoped(
    "the event consumer's settings are accepted in a shared environment, never read; an unknown EVENTS_ one is an error",
    () =>
      Effect.gen(function* () {
        const at = yield* files({ url: "amqp://writeback:pw@mq.example.no/\n" })
        // Only the server reads them: even one the server would refuse (no queue) is fine here.
        const shared = { EVENTS_AMQP_URL_FILE: at("url"), EVENTS_DEBOUNCE_MS: "500" }
        assert.isTrue(Either.isRight(yield* Effect.either(read(settings, shared))))
        const problems = yield* problemsOf(settings, { ...shared, EVENTS_DEBOUNCE: "500" })
        assert.deepStrictEqual(problems, [
          `EVENTS_DEBOUNCE: unknown setting "EVENTS_DEBOUNCE" (did you mean EVENTS_DEBOUNCE_MS?)`
        ])
      })
  )

  it.scoped("file values are type-checked; a mapping entry is a non-empty list of names", () =>
    Effect.gen(function* () {
      const at = yield* files({
        "writeback.json": JSON.stringify({
          SAP_READ_ONLY: "yes please",
          SAP_CONCURRENCY: "eight",
          SAP_ANSATT_BASE_URL: 5,
          mapping: { eksternIdent: [], epost: "mail", sapId: ["a"], username: "bad name" }
        })
      })
      const where = `WRITEBACK_CONFIG ${at("writeback.json")}`
      const problems = yield* problemsOf(settings, { WRITEBACK_CONFIG: at("writeback.json") })
      assert.sameMembers(problems, [
        `${where}: SAP_READ_ONLY must be true or false`,
        `${where}: SAP_CONCURRENCY must be a whole number`,
        `${where}: SAP_ANSATT_BASE_URL must be a string`,
        `${where}: mapping.eksternIdent must be a non-empty list of attribute names`,
        `${where}: mapping.epost must be a non-empty list of attribute names`,
        `${where}: mapping.sapId must be one attribute name`,
        `${where}: mapping.username must be one attribute name`
      ])
    })
  )

  it.scoped(
    "only a regular file of at most 1 MiB is read: not /dev/zero, a FIFO, a directory",
    () =>
      Effect.gen(function* () {
        const at = yield* files({ big: `{"x":"${"a".repeat(1024 * 1024)}"}` })
        execFileSync("mkfifo", [at("fifo")])
        for (const [file, reason] of [
          ["/dev/zero", "/dev/zero is not a regular file"],
          [at("fifo"), `${at("fifo")} is not a regular file`],
          [path.dirname(at("big")), `${path.dirname(at("big"))} is not a regular file`],
          [at("big"), `${at("big")} is larger than 1 MiB`]
        ] as const) {
          const config = yield* problemsOf(settings, { WRITEBACK_CONFIG: file })
          assert.deepStrictEqual(config, [`WRITEBACK_CONFIG: ${reason}`])
          const secret = yield* problemsOf(Config.string("SAP_API_KEY"), { SAP_API_KEY_FILE: file })
          assert.deepStrictEqual(secret, [`SAP_API_KEY_FILE: ${reason}`])
        }
      })
  )

  it.scoped("a WRITEBACK_CONFIG that is not JSON fails naming the file", () =>
    Effect.gen(function* () {
      const at = yield* files({ "broken.json": "{ SAP_CONCURRENCY: 3" })
      const result = yield* Effect.either(
        ConfigSource.fromEnvironment(catalogue, { WRITEBACK_CONFIG: at("broken.json") })
      )
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) assert.include(result.left.message, at("broken.json"))
    })
  )
})
