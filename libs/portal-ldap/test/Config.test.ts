import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { PortalDirectory } from "../src/index.js"

const load = (entries: ReadonlyArray<readonly [string, string]>) =>
  PortalDirectory.config.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries))))

/** A directory holding a real self-signed CA (`ca.pem`) and a garbage one (`garbage.pem`). */
const pki = (() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ldap-config-"))
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=test CA",
      "-keyout",
      path.join(dir, "ca.key"),
      "-out",
      path.join(dir, "ca.pem")
    ],
    { stdio: "ignore" }
  )
  fs.writeFileSync(path.join(dir, "garbage.pem"), "not a certificate\n")
  fs.writeFileSync(
    path.join(dir, "broken.pem"),
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
  )
  return (name: string) => path.join(dir, name)
})()

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
      // The mapping is ConfiguredMapping's, read once for the directory and the rules alike.
      assert.notProperty(options, "mapping")
    })
  )

  it.effect("takes every setting", () =>
    Effect.gen(function* () {
      const options = yield* load([
        ...required,
        ["PORTAL_LDAP_BASE_DN", "ou=People,dc=uni"],
        ["PORTAL_LDAP_STARTTLS", "true"],
        ["PORTAL_LDAP_CA_FILE", pki("ca.pem")],
        ["PORTAL_LDAP_PAGE_SIZE", "250"],
        ["PORTAL_LDAP_CONNECT_TIMEOUT_MS", "1000"],
        ["PORTAL_LDAP_TIMEOUT_MS", "2000"]
      ])
      assert.strictEqual(options.baseDn, "ou=People,dc=uni")
      assert.isTrue(options.startTls)
      assert.strictEqual(options.caFile, pki("ca.pem"))
      assert.strictEqual(options.pageSize, 250)
      assert.strictEqual(options.connectTimeoutMs, 1000)
      assert.strictEqual(options.timeoutMs, 2000)
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

  it.effect(
    "timeouts above 2^31 − 1 ms are refused: the timer would overflow and fire at once",
    () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          load([
            ...required,
            ["PORTAL_LDAP_TIMEOUT_MS", "3000000000"],
            ["PORTAL_LDAP_CONNECT_TIMEOUT_MS", "2147483648"]
          ])
        )
        assert.include(String(error), "PORTAL_LDAP_TIMEOUT_MS must be at most 2147483647 ms")
        assert.include(
          String(error),
          "PORTAL_LDAP_CONNECT_TIMEOUT_MS must be at most 2147483647 ms"
        )
        const max = yield* load([...required, ["PORTAL_LDAP_TIMEOUT_MS", "2147483647"]])
        assert.strictEqual(max.timeoutMs, 2_147_483_647)
      })
  )

  it.effect("a CA file that is not a PEM certificate bundle is a configuration error", () =>
    Effect.gen(function* () {
      for (const [file, reason] of [
        [pki("garbage.pem"), "holds no PEM certificate"],
        [pki("broken.pem"), "holds a certificate that does not parse"],
        [pki("missing.pem"), "cannot read"]
      ] as const) {
        const error = yield* Effect.flip(load([...required, ["PORTAL_LDAP_CA_FILE", file]]))
        assert.include(String(error), "PORTAL_LDAP_CA_FILE")
        assert.include(String(error), reason)
      }
    })
  )
})
