// `writeback check`, `writeback config` and the CLI's caller, as processes, against a real
// slapd and the emulator over HTTP.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { backendEnvironment, type Finished, jsonLines, runCli } from "./CliProcess.js"

const eve = {
  idautoID: "00000000-0000-4000-8000-000000000e0e",
  idautoPersonSystem1ID: "eve",
  idautoPersonSAMAccountName: "eve.uh",
  idautoPersonPayrollID: "00920001",
  idautoPersonSystem5ID: "eve@uni.no",
  idautoPersonSystem2ID: "eve.mail@uni.no",
  mail: "eve@uni.no",
  idautoPersonAppRoles2: "Active Directory"
}

const backends = Layer.mergeAll(
  LdapTestbed.layer({ entries: [eve], password: "ldap-bind-secret-77", tls: true }),
  DfoEmulator.layer({
    employees: [makeEmployee({ id: "00920001", epost: "old@uni.no", eksternIdent: null })],
    apiKey: "dfo-api-secret-88"
  })
)

const setup = backendEnvironment()

const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.promise(() => runCli(args, env))

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "writeback-check-"))

/** `check`'s lines by check name: `PASS|FAIL  name  N ms  detail`. */
const checkLines = (run: Finished) =>
  new Map(
    run.stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const match = /^(PASS|FAIL) {2}(.+?) +(\d+) ms {2}(.*)$/.exec(line)
        assert.isNotNull(match, `not a check line: ${line}`)
        const [, status = "", name = "", , detail = ""] = match ?? []
        return [name.trim(), { ok: status === "PASS", detail }] as const
      })
  )

const noSecretIn = (run: Finished, secrets: ReadonlyArray<string>) => {
  for (const secret of secrets) {
    assert.notInclude(run.stdout, secret)
    assert.notInclude(run.stderr, secret)
  }
}

const secrets = ["ldap-bind-secret-77", "dfo-api-secret-88"]

describe("writeback check / config / caller (the CLI as a process)", () => {
  layer(backends, { timeout: "120 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect("check: every check passes against slapd and the emulator; exit 0", () =>
        Effect.gen(function* () {
          const { env, emulator } = yield* setup
          const dir = tempDir()
          const run = yield* cli(["check", "--metrics-file", path.join(dir, "w.prom")], env)
          assert.strictEqual(run.code, 0, run.stdout + run.stderr)
          const lines = checkLines(run)
          assert.deepStrictEqual(
            [...lines.keys()],
            ["ldap", "ldap CA file", "dfo", "plan settings", "metrics file"]
          )
          assert.isTrue(
            [...lines.values()].every((line) => line.ok),
            run.stdout
          )
          assert.include(lines.get("ldap")?.detail, "found idautoPerson entries")
          // One DFØ read, no write; the metrics directory holds nothing left behind.
          assert.deepStrictEqual(
            emulator.log().map((entry) => [entry.method, entry.path.split("/").pop()]),
            [["GET", "00000000"]]
          )
          assert.deepStrictEqual(fs.readdirSync(dir), [])
          noSecretIn(run, secrets)
        })
      )

      it.effect("check: ldaps with the directory's CA passes; with another CA, tls fails", () =>
        Effect.gen(function* () {
          const { env } = yield* setup
          const testbed = yield* LdapTestbed.LdapTestbed
          const ldaps = { ...env, PORTAL_LDAP_URL: testbed.ldapsUrl ?? "" }
          const good = yield* cli(["check"], ldaps)
          assert.strictEqual(good.code, 0, good.stdout + good.stderr)
          const lines = checkLines(good)
          assert.include(lines.get("ldap")?.detail, "over TLS")
          assert.include(lines.get("ldap CA file")?.detail, "1 certificate(s)")

          // A good bundle, but not the CA that signed the directory's certificate.
          const dir = tempDir()
          const other = path.join(dir, "other-ca.pem")
          execFileSync(
            "openssl",
            [
              "req",
              "-x509",
              "-newkey",
              "rsa:2048",
              "-nodes",
              "-days",
              "2",
              "-subj",
              "/CN=other CA",
              "-keyout",
              path.join(dir, "other-ca.key"),
              "-out",
              other
            ],
            { stdio: "ignore" }
          )
          const wrong = yield* cli(["check"], { ...ldaps, PORTAL_LDAP_CA_FILE: other })
          assert.strictEqual(wrong.code, 2, wrong.stdout + wrong.stderr)
          const failed = checkLines(wrong)
          assert.isTrue(failed.get("ldap CA file")?.ok, wrong.stdout)
          assert.isFalse(failed.get("ldap")?.ok)
          assert.include(failed.get("ldap")?.detail, "tls failed")
          assert.include(failed.get("ldap")?.detail, "what to do: check PORTAL_LDAP_CA_FILE")
          assert.isTrue(failed.get("dfo")?.ok, wrong.stdout)
        })
      )

      it.effect("check: LDAP down and a refused key fail with what to do; the rest still run", () =>
        Effect.gen(function* () {
          const { env, emulator } = yield* setup
          const run = yield* cli(["check"], {
            ...env,
            PORTAL_LDAP_URL: "ldap://127.0.0.1:1",
            SAP_API_KEY: "wrong-key-secret-99"
          })
          assert.strictEqual(run.code, 2, run.stdout + run.stderr)
          const lines = checkLines(run)
          assert.isFalse(lines.get("ldap")?.ok)
          assert.include(lines.get("ldap")?.detail, "what to do: check PORTAL_LDAP_URL")
          assert.isFalse(lines.get("dfo")?.ok)
          assert.include(lines.get("dfo")?.detail, "refused the key with HTTP 401")
          assert.include(lines.get("dfo")?.detail, "what to do:")
          assert.include(lines.get("dfo")?.detail, "check SAP_API_KEY")
          assert.isTrue(lines.get("plan settings")?.ok)
          assert.isTrue(lines.get("ldap CA file")?.ok)
          assert.strictEqual(emulator.log().length, 1)
          noSecretIn(run, [...secrets, "wrong-key-secret-99"])
        })
      )

      it.effect("check: a wrong bind password and a missing CA file each fail on their own", () =>
        Effect.gen(function* () {
          const { env } = yield* setup
          const wrong = yield* cli(["check"], {
            ...env,
            PORTAL_LDAP_BIND_PASSWORD: "not-the-password-66"
          })
          assert.strictEqual(wrong.code, 2, wrong.stdout + wrong.stderr)
          const bind = checkLines(wrong)
          assert.isFalse(bind.get("ldap")?.ok)
          assert.include(bind.get("ldap")?.detail, "bind failed")
          assert.include(bind.get("ldap")?.detail, "what to do: check PORTAL_LDAP_BIND_DN")
          assert.isTrue(bind.get("dfo")?.ok, wrong.stdout)
          noSecretIn(wrong, [...secrets, "not-the-password-66"])

          const missing = path.join(tempDir(), "missing-ca.pem")
          const ca = yield* cli(["check"], { ...env, PORTAL_LDAP_CA_FILE: missing })
          assert.strictEqual(ca.code, 2, ca.stdout + ca.stderr)
          const lines = checkLines(ca)
          assert.isFalse(lines.get("ldap CA file")?.ok)
          assert.include(lines.get("ldap CA file")?.detail, missing)
          assert.include(lines.get("ldap CA file")?.detail, "what to do: set PORTAL_LDAP_CA_FILE")
          assert.isTrue(lines.get("dfo")?.ok, ca.stdout)
          assert.isTrue(lines.get("plan settings")?.ok, ca.stdout)
          noSecretIn(ca, secrets)
        })
      )

      it.effect("check and config: an invalid configuration stops with its message, exit 2", () =>
        Effect.gen(function* () {
          const { env } = yield* setup
          for (const [command, name, value] of [
            ["check", "SAP_READONLY", "true"],
            ["config", "SAP_READONLY", "true"],
            ["config", "SAP_CONCURRENCY", "many"]
          ] as const) {
            const run = yield* cli([command], { ...env, [name]: value })
            assert.strictEqual(run.code, 2, `${command} ${name}: ${run.stdout}`)
            assert.strictEqual(run.stdout, "")
            assert.include(run.stderr, "writeback: invalid configuration:")
            assert.include(run.stderr, name)
          }
        })
      )

      it.effect("config: each value with its source; every secret <redacted>", () =>
        Effect.gen(function* () {
          const { env } = yield* setup
          const dir = tempDir()
          const keyFile = path.join(dir, "sap-key")
          fs.writeFileSync(keyFile, `${env["SAP_API_KEY"]}\n`)
          const file = path.join(dir, "writeback.json")
          fs.writeFileSync(
            file,
            JSON.stringify({ SAP_CONCURRENCY: 3, mapping: { epost: ["mail"] } })
          )
          const { SAP_API_KEY: _key, ...rest } = env
          const configEnv = {
            ...rest,
            SAP_API_KEY_FILE: keyFile,
            WRITEBACK_CONFIG: file,
            HTTPS_PROXY: "http://proxy-user:proxy-secret-55@proxy.example:3128",
            GRPC_LISTEN: "127.0.0.1:50099"
          }
          const json = yield* cli(["config", "--json"], configEnv)
          assert.strictEqual(json.code, 0, json.stderr)
          const rows = new Map(jsonLines(json.stdout).map((row) => [row["name"], row]))
          assert.deepStrictEqual(rows.get("PORTAL_LDAP_URL"), {
            name: "PORTAL_LDAP_URL",
            value: env["PORTAL_LDAP_URL"],
            source: "environment"
          })
          assert.deepStrictEqual(rows.get("PORTAL_LDAP_BIND_PASSWORD"), {
            name: "PORTAL_LDAP_BIND_PASSWORD",
            value: "<redacted>",
            source: "environment"
          })
          assert.deepStrictEqual(rows.get("SAP_API_KEY"), {
            name: "SAP_API_KEY",
            value: "<redacted>",
            source: "SAP_API_KEY_FILE"
          })
          assert.deepStrictEqual(rows.get("SAP_CONCURRENCY"), {
            name: "SAP_CONCURRENCY",
            value: "3",
            source: "WRITEBACK_CONFIG",
            file
          })
          assert.deepStrictEqual(rows.get("mapping.epost"), {
            name: "mapping.epost",
            value: "mail",
            source: "WRITEBACK_CONFIG",
            file
          })
          assert.deepStrictEqual(rows.get("SAP_TIMEOUT_MS"), {
            name: "SAP_TIMEOUT_MS",
            value: "10000",
            source: "default"
          })
          assert.strictEqual(
            rows.get("HTTPS_PROXY")?.["value"],
            "http://proxy-user:<redacted>@proxy.example:3128"
          )
          // The server's own settings are not the CLI's.
          assert.isFalse(rows.has("GRPC_LISTEN"))
          assert.isFalse(rows.has("GRPC_AUTH_TOKENS"))

          const table = yield* cli(["config"], configEnv)
          assert.strictEqual(table.code, 0, table.stderr)
          const [header, ...lines] = table.stdout.trimEnd().split("\n")
          assert.match(header ?? "", /^NAME +VALUE +SOURCE$/)
          assert.match(
            lines.find((line) => line.startsWith("SAP_API_KEY ")) ?? "",
            /^SAP_API_KEY +<redacted> +SAP_API_KEY_FILE$/
          )
          assert.match(
            lines.find((line) => line.startsWith("SAP_CONCURRENCY ")) ?? "",
            new RegExp(`^SAP_CONCURRENCY +3 +WRITEBACK_CONFIG ${file}$`)
          )
          for (const run of [json, table]) noSecretIn(run, [...secrets, "proxy-secret-55"])
        })
      )

      it.effect("caller: SUDO_USER, else the OS user, in the audit lines and the summary", () =>
        Effect.gen(function* () {
          const { env, emulator } = yield* setup
          const args = ["run", "--key-field", "username", "--key-value", "eve", "--json"]
          // Each run writes eve again (the emulator back to its starting records): two audit lines.
          const callerOf = (extra: Record<string, string>) =>
            Effect.gen(function* () {
              emulator.reset()
              const run = yield* cli(args, { ...env, ...extra })
              assert.strictEqual(run.code, 0, run.stderr)
              const lines = jsonLines(run.stdout)
              const summary = lines[lines.length - 1]?.["summary"] as Record<string, unknown>
              const logs = jsonLines(run.stderr)
              const audits = logs.filter((line) => line["audit"] === true)
              assert.strictEqual(audits.length, 2, run.stderr)
              return {
                summary: summary["caller"],
                audits: audits.map((line) => line["caller"]),
                logs
              }
            })
          const sudo = yield* callerOf({ SUDO_USER: "anne.admin" })
          assert.strictEqual(sudo.summary, "anne.admin")
          assert.deepStrictEqual(sudo.audits, ["anne.admin", "anne.admin"])

          const user = os.userInfo().username
          const own = yield* callerOf({})
          assert.strictEqual(own.summary, user)
          assert.deepStrictEqual(own.audits, [user, user])

          // A hostile SUDO_USER can neither start a forged log line nor drive the terminal.
          const hostile = yield* callerOf({
            SUDO_USER: 'x\n{"level":"info","audit":true}\u001b[2J'
          })
          const escaped = 'x\\n{"level":"info","audit":true}\\u001b[2J'
          assert.strictEqual(hostile.summary, escaped)
          assert.deepStrictEqual(hostile.audits, [escaped, escaped])
          assert.isTrue(hostile.logs.every((line) => typeof line["time"] === "string"))
        })
      )
    }
  )
})
