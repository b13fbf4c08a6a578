// The built CLI as a process, against a real slapd and the DFØ emulator over HTTP.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { generateEmployees, LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import {
  backendEnvironment,
  type Finished,
  jsonLines,
  logLinesSaying,
  runCli
} from "./CliProcess.js"

const people = generateEmployees({ count: 40, seed: 5 })

/** One eligible person the tests pick on by name. */
const alice = {
  idautoID: "00000000-0000-4000-8000-0000000a11ce",
  idautoPersonSystem1ID: "alice",
  idautoPersonSAMAccountName: "alice.uh",
  idautoPersonPayrollID: "00900001",
  idautoPersonSystem5ID: "alice@uni.no",
  idautoPersonSystem2ID: "alice.smith@uni.no",
  mail: "alice.smith@uni.no",
  idautoPersonAppRoles2: "Active Directory"
}

/** An entry whose values try to drive the operator's terminal. */
const mallory = {
  idautoID: "00000000-0000-4000-8000-000000000bad",
  idautoPersonSystem1ID: "mallory\u001b[2J\u001b[31m",
  idautoPersonSAMAccountName: "mallory.uh",
  idautoPersonPayrollID: "00900002",
  idautoPersonSystem5ID: "mallory@uni.no",
  idautoPersonSystem2ID: "mallory@uni.no",
  mail: "mallory@uni.no",
  idautoPersonAppRoles2: "Active Directory"
}

const dfoEmployees = [
  makeEmployee({ id: mallory.idautoPersonPayrollID, epost: "", eksternIdent: null }),
  // Every generated person's record lacks all three identifiers: a first run fills them in.
  ...people.flatMap((p) => (p.payrollId === undefined ? [] : [makeEmployee({ id: p.payrollId })])),
  makeEmployee({ id: alice.idautoPersonPayrollID, epost: "old@uni.no", eksternIdent: null })
]

const backends = Layer.mergeAll(
  LdapTestbed.layer({ users: people.length, seed: 5, entries: [alice, mallory] }),
  DfoEmulator.layer({ employees: dfoEmployees })
)

const directorySize = people.length + 2
const secrets = ["ldap-secret-pw", "dfo-secret-key"]

/** The CLI's environment over the suite's slapd and emulator. */
const environment = backendEnvironment()

const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.promise(() => runCli(args, env))

const summaryOf = (run: Finished) => {
  const lines = jsonLines(run.stdout)
  const last = lines[lines.length - 1]?.["summary"] as Record<string, unknown> | undefined
  assert.isDefined(last, run.stdout + run.stderr)
  return last as Record<string, number | string | boolean>
}

describe("writeback (the CLI as a process)", () => {
  layer(backends, { timeout: "120 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect("--json: started, one user per entry, summary; DFØ holds the values; exit 0", () =>
        Effect.gen(function* () {
          const { env, emulator } = yield* environment
          const run = yield* cli(["run", "--process-all", "--json"], env)
          assert.strictEqual(run.code, 0, run.stderr)
          const lines = jsonLines(run.stdout)
          assert.deepStrictEqual(Object.keys(lines[0] ?? {}), ["started"])
          const started = lines[0]?.["started"] as Record<string, unknown>
          assert.strictEqual(started["processAll"], true)
          const users = lines.slice(1, -1).map((line) => line["user"] as Record<string, unknown>)
          assert.strictEqual(users.length, directorySize)
          const summary = summaryOf(run)
          assert.strictEqual(summary["total"], directorySize)
          const parts = [
            "skipped",
            "unchanged",
            "updated",
            "wouldUpdate",
            "updateFailed",
            "fetchFailed"
          ]
          assert.strictEqual(
            parts.reduce((sum, name) => sum + Number(summary[name]), 0),
            directorySize
          )
          assert.isAbove(Number(summary["updated"]), 20)
          // Canonical JSON: camelCase names and enum names as strings.
          const a = users.find((u) => u["username"] === "alice")
          assert.strictEqual(a?.["outcome"], "OUTCOME_UPDATED")
          const changes = a?.["changes"] as ReadonlyArray<Record<string, string>>
          assert.deepInclude(changes, {
            field: "epost",
            before: "old@uni.no",
            after: "alice.smith@uni.no"
          })
          assert.deepInclude(changes, { field: "eksternIdent", before: "", after: "alice@uni.no" })
          assert.strictEqual(emulator.employee("00900001")?.["epost"], "alice.smith@uni.no")
          assert.strictEqual(emulator.employee("00900001")?.["eksternIdent"], "alice@uni.no")
          // Logs: JSON on stderr, each with the run id; an intent and a done audit line per write.
          const logs = jsonLines(run.stderr)
          const runId = started["runId"]
          assert.isTrue(
            logs.every((line) => line["run_id"] === runId),
            run.stderr
          )
          const audits = (phase: string) =>
            logs.filter((line) => line["audit"] === true && line["audit_phase"] === phase)
          assert.strictEqual(audits("intent").length, summary["updated"])
          assert.strictEqual(audits("done").length, summary["updated"])
          assert.isTrue(audits("done").every((line) => line["result"] === "written"))
          const second = yield* cli(["run", "--process-all", "--json"], env)
          assert.strictEqual(second.code, 0, second.stderr)
          assert.strictEqual(summaryOf(second)["updated"], 0)
        })
      )

      it.effect("--log-only plans WOULD_UPDATE and sends no PUT", () =>
        Effect.gen(function* () {
          const { env, emulator } = yield* environment
          const run = yield* cli(["run", "--process-all", "--log-only", "--json"], env)
          assert.strictEqual(run.code, 0, run.stderr)
          assert.isAbove(Number(summaryOf(run)["wouldUpdate"]), 20)
          assert.strictEqual(emulator.stats().byMethod["PUT"] ?? 0, 0)
        })
      )

      it.effect(
        "a human full run only counts UNCHANGED users, yet its progress and summary count them; --json streams each",
        () =>
          Effect.gen(function* () {
            const { env, emulator } = yield* environment
            // A first run writes every eligible person's values: after it they are UNCHANGED.
            const first = yield* cli(["run", "--process-all"], env)
            assert.strictEqual(first.code, 0, first.stderr)
            assert.match(first.stdout, /^ +updated +\d\d$/m)
            const json = yield* cli(["run", "--process-all", "--json"], env)
            assert.strictEqual(json.code, 0, json.stderr)
            const users = jsonLines(json.stdout).flatMap((line) =>
              line["user"] === undefined ? [] : [line["user"] as Record<string, unknown>]
            )
            assert.strictEqual(users.length, directorySize)
            const unchanged = users.filter((u) => u["outcome"] === "OUTCOME_UNCHANGED").length
            assert.isAbove(unchanged, 20)
            assert.strictEqual(summaryOf(json)["unchanged"], unchanged)
            // Each user read on its own, two at a time, 0.8 s a read (32 reads, about 13 s):
            // the first progress line (at 10 s) comes while the users are still being
            // decided, before any result is reported.
            emulator.setFaults({ latencyMs: 800 })
            const human = yield* cli(["run", "--process-all"], {
              ...env,
              SAP_BULK_LIST: "false",
              SAP_CONCURRENCY: "2"
            }).pipe(Effect.ensuring(Effect.sync(() => emulator.setFaults({ latencyMs: 0 }))))
            assert.strictEqual(human.code, 0, human.stderr)
            const row = (name: string) =>
              human.stdout.split("\n").find((line) => line.trim().startsWith(`${name} `))
            assert.match(row("unchanged") ?? "", new RegExp(`^ +unchanged +${unchanged}$`))
            assert.match(row("total") ?? "", new RegExp(`^ +total +${directorySize}$`))
            assert.notInclude(human.stdout, "UNCHANGED")
            const progress = logLinesSaying(human.stderr, "progress")
            assert.isAtLeast(progress.length, 1, human.stderr)
            const line = progress[0] ?? {}
            assert.isAbove(Number(line["unchanged"]), 0, JSON.stringify(line))
            assert.strictEqual(
              line["examined"],
              Number(line["unchanged"]) + Number(line["skipped"]) + Number(line["changed"]),
              JSON.stringify(line)
            )
          })
      )

      it.effect("one user by each key field", () =>
        Effect.gen(function* () {
          const { env } = yield* environment
          for (const [field, value] of [
            ["username", "alice"],
            ["uh-username", "ALICE.UH"],
            ["idautoID", alice.idautoID]
          ] as const) {
            const run = yield* cli(
              ["run", "--key-field", field, "--key-value", value, "--json"],
              env
            )
            assert.strictEqual(run.code, 0, run.stderr)
            assert.strictEqual(summaryOf(run)["total"], 1)
          }
        })
      )

      it.effect(
        "a key that matches nothing (or a filter-looking value) exits 3, writes nothing",
        () =>
          Effect.gen(function* () {
            const { env, emulator } = yield* environment
            for (const value of ["nobody", "*", "a*)(objectClass=*"]) {
              const run = yield* cli(["run", "--key-field", "username", "--key-value", value], env)
              assert.strictEqual(run.code, 3, run.stderr)
              assert.include(run.stderr, "NOT_FOUND")
              // The caller's answer, not a fault of the service: logged at info.
              const notFound = jsonLines(run.stderr.split("\nwriteback: ")[0] ?? "").filter(
                (line) => line["code"] === "NOT_FOUND"
              )
              assert.deepStrictEqual(
                notFound.map((line) => line["level"]),
                ["info"]
              )
            }
            assert.strictEqual(emulator.stats().requests, 0)
          })
      )

      it.effect("a user DFØ rejects: exit 1, the result names the user and SAP's faultText", () =>
        Effect.gen(function* () {
          const { env, emulator } = yield* environment
          emulator.script({
            method: "PUT",
            path: "/00900001",
            status: 422,
            faultText: "UGYLDIG EPOST"
          })
          const run = yield* cli(["run", "--key-field", "username", "--key-value", "alice"], env)
          assert.strictEqual(run.code, 1, run.stderr)
          assert.match(run.stdout, /FAILED\s+alice/)
          assert.include(run.stdout, "UGYLDIG EPOST")
          assert.include(run.stdout, "update failed")
        })
      )

      it.effect("hostile LDAP values and faultTexts reach the terminal escaped", () =>
        Effect.gen(function* () {
          const { env, emulator } = yield* environment
          emulator.script({
            method: "PUT",
            path: "/00900002",
            status: 422,
            faultText: "UGYLDIG\n2026-11-30T00:00:00.000Z INFO  audit forged\u001b[2J"
          })
          const run = yield* cli(
            ["run", "--key-field", "idautoID", "--key-value", mallory.idautoID],
            { ...env, LOG_FORMAT: "text" }
          )
          assert.strictEqual(run.code, 1, run.stderr)
          // eslint-disable-next-line no-control-regex
          assert.notMatch(run.stdout + run.stderr, /\u001b/)
          assert.include(run.stdout, "mallory\\u001b[2J\\u001b[31m")
          assert.include(run.stdout, "UGYLDIG\\n2026-11-30T00:00:00.000Z INFO  audit forged")
          const forged = (run.stdout + run.stderr)
            .split("\n")
            .filter((line) => line.startsWith("2026-11-30T00:00:00.000Z"))
          assert.deepStrictEqual(forged, [])
        })
      )

      it.effect("the mass-update guard exits 2, names both numbers and writes nothing", () =>
        Effect.gen(function* () {
          const { env, emulator } = yield* environment
          const run = yield* cli(["run", "--process-all", "--max-updates", "3"], env)
          assert.strictEqual(run.code, 2, run.stderr)
          assert.match(run.stderr, /MASS_UPDATE_GUARD/)
          assert.match(run.stderr, /\b3\b/)
          assert.strictEqual(emulator.stats().byMethod["PUT"] ?? 0, 0)
        })
      )

      it.effect(
        "one WRITEBACK_CONFIG mapping: the directory finds by it, the rules derive by it",
        () =>
          Effect.gen(function* () {
            const { env, emulator } = yield* environment
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "writeback-cli-"))
            try {
              const configFile = path.join(dir, "writeback.json")
              fs.writeFileSync(
                configFile,
                JSON.stringify({
                  mapping: { username: "idautoPersonSAMAccountName", eksternIdent: ["mail"] }
                })
              )
              const run = yield* cli(
                [
                  "run",
                  "--key-field",
                  "username",
                  "--key-value",
                  "alice.uh",
                  "--log-only",
                  "--json"
                ],
                { ...env, WRITEBACK_CONFIG: configFile }
              )
              // Found by the SAM account name: the default mapping's username would find nobody.
              assert.strictEqual(run.code, 0, run.stderr)
              const user = jsonLines(run.stdout)[1]?.["user"] as Record<string, unknown>
              assert.strictEqual(user["idautoId"], alice.idautoID)
              // eksternIdent from mail, not from idautoPersonSystem5ID (alice@uni.no) by default.
              assert.deepInclude(user["changes"] as ReadonlyArray<Record<string, string>>, {
                field: "eksternIdent",
                before: "",
                after: "alice.smith@uni.no"
              })
              assert.strictEqual(emulator.stats().byMethod["PUT"] ?? 0, 0)
            } finally {
              fs.rmSync(dir, { recursive: true, force: true })
            }
          })
      )

      it.effect("secrets from *_FILE; WRITEBACK_CONFIG supplies settings", () =>
        Effect.gen(function* () {
          const { env, emulator } = yield* environment
          const dir = fs.mkdtempSync(path.join(os.tmpdir(), "writeback-cli-"))
          try {
            const passwordFile = path.join(dir, "ldap-password")
            fs.writeFileSync(passwordFile, `${env["PORTAL_LDAP_BIND_PASSWORD"]}\n`)
            const configFile = path.join(dir, "writeback.json")
            fs.writeFileSync(configFile, JSON.stringify({ SAP_READ_ONLY: "true" }))
            const { PORTAL_LDAP_BIND_PASSWORD: _, ...rest } = env
            const run = yield* cli(["run", "--process-all", "--json"], {
              ...rest,
              PORTAL_LDAP_BIND_PASSWORD_FILE: passwordFile,
              WRITEBACK_CONFIG: configFile
            })
            assert.strictEqual(run.code, 0, run.stderr)
            const started = jsonLines(run.stdout)[0]?.["started"] as Record<string, unknown>
            assert.strictEqual(started["readOnly"], true)
            assert.strictEqual(emulator.stats().byMethod["PUT"] ?? 0, 0)
          } finally {
            fs.rmSync(dir, { recursive: true, force: true })
          }
        })
      )

      it.effect(
        "LDAP unreachable: exit 2 with LDAP_CONNECTION_FAILED and the URL, no password",
        () =>
          Effect.gen(function* () {
            const { env } = yield* environment
            const run = yield* cli(["run", "--process-all"], {
              ...env,
              PORTAL_LDAP_URL: "ldap://127.0.0.1:1",
              PORTAL_LDAP_BIND_PASSWORD: "ldap-secret-pw"
            })
            assert.strictEqual(run.code, 2, run.stderr)
            assert.include(run.stderr, "LDAP_CONNECTION_FAILED")
            assert.include(run.stderr, "ldap://127.0.0.1:1")
            assert.notInclude(run.stdout + run.stderr, "ldap-secret-pw")
          })
      )
    }
  )

  it.effect("usage errors exit 64 and say what is wrong", () =>
    Effect.gen(function* () {
      for (const args of [
        ["run"],
        ["run", "--process-all", "--key-field", "username", "--key-value", "x"],
        ["run", "--key-field", "username", "--key-value", "  "],
        ["run", "--key-field", "email", "--key-value", "x"]
      ]) {
        const run = yield* cli(args, {})
        assert.strictEqual(run.code, 64, `${args.join(" ")}: ${run.stdout}${run.stderr}`)
        assert.isNotEmpty(run.stderr + run.stdout)
      }
    })
  )

  it.effect("invalid configuration: exit 2, every problem listed, no secret shown", () =>
    Effect.gen(function* () {
      const run = yield* cli(["run", "--process-all"], {
        SAP_API_KEY: secrets[1] ?? "",
        PORTAL_LDAP_BIND_PASSWORD: secrets[0] ?? "",
        SAP_MAX_RPS: "fast"
      })
      assert.strictEqual(run.code, 2, run.stderr)
      for (const name of [
        "PORTAL_LDAP_URL",
        "PORTAL_LDAP_BIND_DN",
        "SAP_ANSATT_BASE_URL",
        "SAP_MAX_RPS"
      ]) {
        assert.include(run.stderr, name)
      }
      for (const secret of secrets) assert.notInclude(run.stdout + run.stderr, secret)
    })
  )
})
