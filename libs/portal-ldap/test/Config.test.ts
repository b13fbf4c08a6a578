import { defaultMapping } from "@dfo-writeback/domain"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { PortalDirectory } from "../src/index.js"

const load = (entries: ReadonlyArray<readonly [string, string]>) =>
  PortalDirectory.config.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries))))

const required = [
  ["PORTAL_LDAP_URL", "ldap://ldap.example.org"],
  ["PORTAL_LDAP_BIND_DN", "cn=writeback,dc=meta"],
  ["PORTAL_LDAP_BIND_PASSWORD", "hunter2"]
] as const

describe("PortalDirectory.config", () => {
  it.effect("reads the contract's names with their defaults", () =>
    Effect.gen(function* () {
      const options = yield* load(required)
      assert.strictEqual(options.url, "ldap://ldap.example.org")
      assert.strictEqual(options.bindDn, "cn=writeback,dc=meta")
      assert.strictEqual(Redacted.value(options.bindPassword), "hunter2")
      assert.notInclude(String(options.bindPassword), "hunter2")
      assert.strictEqual(options.baseDn, "ou=Accounts,dc=meta")
      assert.isFalse(options.startTls)
      assert.isUndefined(options.caFile)
      assert.strictEqual(options.pageSize, 500)
      assert.strictEqual(options.connectTimeoutMs, 5000)
      assert.strictEqual(options.timeoutMs, 30_000)
      assert.deepStrictEqual(options.mapping, defaultMapping)
    })
  )

  it.effect("takes every setting", () =>
    Effect.gen(function* () {
      const options = yield* load([
        ...required,
        ["PORTAL_LDAP_BASE_DN", "ou=People,dc=uni"],
        ["PORTAL_LDAP_STARTTLS", "true"],
        ["PORTAL_LDAP_CA_FILE", "/etc/ssl/ca.pem"],
        ["PORTAL_LDAP_PAGE_SIZE", "250"],
        ["PORTAL_LDAP_CONNECT_TIMEOUT_MS", "1000"],
        ["PORTAL_LDAP_TIMEOUT_MS", "2000"],
        ["mapping.username", "uid"]
      ])
      assert.strictEqual(options.baseDn, "ou=People,dc=uni")
      assert.isTrue(options.startTls)
      assert.strictEqual(options.caFile, "/etc/ssl/ca.pem")
      assert.strictEqual(options.pageSize, 250)
      assert.strictEqual(options.connectTimeoutMs, 1000)
      assert.strictEqual(options.timeoutMs, 2000)
      assert.strictEqual(options.mapping?.username, "uid")
    })
  )

  it.effect("lists every problem at once", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        load([
          ["PORTAL_LDAP_URL", "http://ldap.example.org"],
          ["PORTAL_LDAP_PAGE_SIZE", "0"],
          ["PORTAL_LDAP_STARTTLS", "perhaps"]
        ])
      )
      const message = String(error)
      for (const name of [
        "PORTAL_LDAP_URL",
        "PORTAL_LDAP_BIND_DN",
        "PORTAL_LDAP_BIND_PASSWORD",
        "PORTAL_LDAP_PAGE_SIZE",
        "PORTAL_LDAP_STARTTLS"
      ]) {
        assert.include(message, name)
      }
    })
  )

  it.effect("refuses StartTLS on ldaps://", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        load([
          ...required,
          ["PORTAL_LDAP_URL", "ldaps://ldap.example.org:636"],
          ["PORTAL_LDAP_STARTTLS", "true"]
        ])
      )
      assert.include(String(error), "PORTAL_LDAP_STARTTLS applies to ldap:// URLs only")
    })
  )
})
