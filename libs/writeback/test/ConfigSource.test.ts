import { assert, describe, it } from "@effect/vitest"
import { Config, Effect, Either, Redacted } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ConfigSource, WritebackConfig } from "../src/index.js"

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
  Effect.flatMap(ConfigSource.fromEnvironment(env), (provider) =>
    Effect.withConfigProvider(config, provider)
  )

describe("ConfigSource.fromEnvironment", () => {
  it.scoped("reads a secret from NAME_FILE without its trailing newline", () =>
    Effect.gen(function* () {
      const at = yield* files({ key: "s3cret\n" })
      const key = yield* read(Config.redacted("SAP_API_KEY"), { SAP_API_KEY_FILE: at("key") })
      assert.strictEqual(Redacted.value(key), "s3cret")
    })
  )

  it.scoped("the variable itself wins over its _FILE form", () =>
    Effect.gen(function* () {
      const at = yield* files({ key: "from-file" })
      const key = yield* read(Config.string("SAP_API_KEY"), {
        SAP_API_KEY: "from-env",
        SAP_API_KEY_FILE: at("key")
      })
      assert.strictEqual(key, "from-env")
    })
  )

  it.effect("an unreadable secret file fails naming the setting and the path", () =>
    Effect.gen(function* () {
      const result = yield* Effect.either(
        ConfigSource.fromEnvironment({ PORTAL_LDAP_BIND_PASSWORD_FILE: "/nonexistent/pw" })
      )
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.include(result.left.message, "PORTAL_LDAP_BIND_PASSWORD_FILE")
        assert.include(result.left.message, "/nonexistent/pw")
      }
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
      const settings = yield* read(WritebackConfig.WritebackSettingsConfig, {
        WRITEBACK_CONFIG: at("writeback.json"),
        SAP_READ_ONLY: "false"
      })
      assert.strictEqual(settings.concurrency, 3)
      assert.strictEqual(settings.readOnly, false)
      assert.deepStrictEqual(settings.rules.businessRoleExceptions, ["iam:external", "iam:guest"])
      assert.deepStrictEqual(settings.mapping.eksternIdent, ["eduPersonPrincipalName", "mail"])
      assert.strictEqual(settings.mapping.sapId, "employeeNumber")
      assert.strictEqual(settings.mapping.idautoId, "idautoID")
    })
  )

  it.scoped("a WRITEBACK_CONFIG that is not JSON fails naming the file", () =>
    Effect.gen(function* () {
      const at = yield* files({ "broken.json": "{ SAP_CONCURRENCY: 3" })
      const result = yield* Effect.either(
        ConfigSource.fromEnvironment({ WRITEBACK_CONFIG: at("broken.json") })
      )
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) assert.include(result.left.message, at("broken.json"))
    })
  )
})
