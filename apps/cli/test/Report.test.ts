// `writeback report` as a process, against a real slapd and the emulator.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { backendEnvironment, jsonLines, runCli } from "./CliProcess.js"

const person = (name: string, payrollId: string, n: number) => ({
  idautoID: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  idautoPersonSystem1ID: name,
  idautoPersonSAMAccountName: `uh${n}`,
  idautoPersonPayrollID: payrollId,
  idautoPersonSystem5ID: `user${n}@uni.no`,
  idautoPersonSystem2ID: `user${n}.mail@uni.no`,
  mail: `user${n}@uni.no`,
  idautoPersonAppRoles2: "Active Directory"
})
/** A username a spreadsheet would run as a formula, with a quote, a comma and a newline. */
const hostile = '=HYPERLINK("http://evil.example","x"),\n@SUM(1)'
const entries = [
  person("zoe", "00920001", 1), // in SAP: would update, not listed
  person("mia", "00920099", 2), // NOT_IN_SAP
  person("bob", "00920098", 3), // NOT_IN_SAP
  person("dan", "00920003", 4), // DUPLICATE_EMPLOYEE_ID with eva
  person("eva", "00920003", 5),
  person("ida", "12ab", 6), // INVALID_ATTRIBUTES
  person("kai", "00920004", 7), // SAP_FETCH_FAILED (scripted 500)
  person(hostile, "00920097", 8) // NOT_IN_SAP
]

const backends = Layer.mergeAll(
  LdapTestbed.layer({ entries }),
  DfoEmulator.layer({
    employees: ["00920001", "00920003", "00920004"].map((id) =>
      makeEmployee({ id, epost: "old@uni.no", eksternIdent: null })
    )
  })
)

// Each employee read on its own, so one can fail while the others are read.
const setup = Effect.map(backendEnvironment({ SAP_BULK_LIST: "false" }), ({ emulator, env }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "writeback-report-"))
  // kai's employee record cannot be read: a FAILED user the report lists.
  const failKai = () =>
    emulator.script({ method: "GET", path: "/00920004", status: 500, faultText: "INTERN FEIL" })
  return { emulator, dir, env, failKai }
})

const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.promise(() => runCli(args, env))

const writes = (emulator: DfoEmulator["Type"]) =>
  emulator.log().filter((e) => e.method === "PUT" || e.method === "PATCH")

interface Listed {
  readonly username: string
  readonly employee_id: string
  readonly reason: string
}

/** The skipped and failed users a `run --json` reports, sorted as the report sorts them. */
const expectedFromRun = (stdout: string): ReadonlyArray<Listed> => {
  const collator = new Intl.Collator("nb")
  return jsonLines(stdout)
    .flatMap((line) => {
      const user = line["user"] as Record<string, string> | undefined
      if (user === undefined) return []
      const reason =
        user["outcome"] === "OUTCOME_SKIPPED"
          ? user["skipReason"]
          : user["outcome"] === "OUTCOME_FAILED"
            ? user["errorCode"]
            : undefined
      return reason === undefined
        ? []
        : [
            {
              username: (user["username"] ?? "").replace(/\n/g, "\\n"),
              employee_id: user["sapId"] ?? "",
              reason: reason.replace(/^(SKIP_REASON|ERROR_CODE)_/, "")
            }
          ]
    })
    .sort(
      (a, b) =>
        collator.compare(a.username, b.username) || collator.compare(a.employee_id, b.employee_id)
    )
}

/** RFC 4180, enough for the report: quoted fields with doubled quotes, CRLF rows. */
const parseCsv = (text: string): Array<Array<string>> => {
  const rows: Array<Array<string>> = []
  let row: Array<string> = []
  let field = ""
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ",") {
      row.push(field)
      field = ""
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field)
      rows.push(row)
      row = []
      field = ""
      i++
    } else field += c
  }
  return rows
}

describe("writeback report (the CLI as a process)", () => {
  layer(backends, { timeout: "120 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect(
        "lists exactly the run's skipped and failed users, sorted, with totals, in csv, markdown and json; writes nothing to DFØ",
        () =>
          Effect.gen(function* () {
            const { emulator, dir, env, failKai } = yield* setup
            failKai()
            const run = yield* cli(["run", "--process-all", "--log-only", "--json"], env)
            assert.strictEqual(run.code, 1, run.stderr)
            const expected = expectedFromRun(run.stdout)
            assert.deepStrictEqual(expected.map((u) => u.reason).sort(), [
              "DUPLICATE_EMPLOYEE_ID",
              "DUPLICATE_EMPLOYEE_ID",
              "INVALID_ATTRIBUTES",
              "NOT_IN_SAP",
              "NOT_IN_SAP",
              "NOT_IN_SAP",
              "SAP_FETCH_FAILED"
            ])

            // SAP_READ_ONLY=false: a report writes nothing all the same.
            const readWrite = { ...env, SAP_READ_ONLY: "false" }
            failKai()
            const asJson = yield* cli(
              ["report", "--process-all", "--format", "json", "--out", path.join(dir, "r.json")],
              readWrite
            )
            assert.strictEqual(asJson.code, 0, asJson.stderr)
            assert.include(asJson.stdout, "report written to ")
            const report = JSON.parse(fs.readFileSync(path.join(dir, "r.json"), "utf8")) as {
              run: Record<string, unknown>
              users: Array<Listed & { message: string }>
            }
            assert.deepStrictEqual(
              report.users.map(({ username, employee_id, reason }) => ({
                username,
                employee_id,
                reason
              })),
              expected
            )
            assert.deepStrictEqual(
              report.users.map((u) => u.username),
              ["bob", "dan", "eva", "ida", "kai", "mia", hostile.replace(/\n/g, "\\n")].sort(
                new Intl.Collator("nb").compare
              )
            )
            assert.include(
              report.users.find((u) => u.username === "kai")?.message ?? "",
              "INTERN FEIL"
            )
            assert.deepStrictEqual(report.run["listed_by_reason"], {
              INVALID_ATTRIBUTES: 1,
              NOT_IN_SAP: 3,
              DUPLICATE_EMPLOYEE_ID: 2,
              SAP_FETCH_FAILED: 1
            })
            assert.strictEqual(report.run["listed"], 7)
            assert.strictEqual(report.run["total"], 8)
            assert.strictEqual(report.run["would_update"], 1)
            assert.strictEqual(report.run["fetch_failed"], 1)
            assert.strictEqual(report.run["skipped"], 6)

            failKai()
            const asCsv = yield* cli(
              ["report", "--process-all", "--out", path.join(dir, "r.csv")],
              readWrite
            )
            assert.strictEqual(asCsv.code, 0, asCsv.stderr)
            const rows = parseCsv(fs.readFileSync(path.join(dir, "r.csv"), "utf8"))
            assert.deepStrictEqual(rows[0], [
              "username",
              "employee_id",
              "reason",
              "message",
              "idauto_id"
            ])
            const blank = rows.findIndex((row) => row.length === 1 && row[0] === "")
            assert.deepStrictEqual(
              rows.slice(1, blank).map(([username, employee_id, reason]) => ({
                // A formula-looking value is kept as text with a leading '.
                username: (username ?? "").replace(/^'(?=[=+\-@])/, ""),
                employee_id: employee_id ?? "",
                reason: reason ?? ""
              })),
              expected
            )
            const totals = Object.fromEntries(rows.slice(blank + 2).map(([k, v]) => [k, v]))
            assert.deepStrictEqual(totals, {
              listed: "7",
              INVALID_ATTRIBUTES: "1",
              NOT_IN_SAP: "3",
              DUPLICATE_EMPLOYEE_ID: "2",
              SAP_FETCH_FAILED: "1",
              "run:run_id": totals["run:run_id"],
              "run:total": "8",
              "run:skipped": "6",
              "run:unchanged": "0",
              "run:would_update": "1",
              "run:fetch_failed": "1",
              "run:update_failed": "0"
            })

            failKai()
            const asMarkdown = yield* cli(
              ["report", "--process-all", "--format", "markdown", "--out", path.join(dir, "r.md")],
              readWrite
            )
            assert.strictEqual(asMarkdown.code, 0, asMarkdown.stderr)
            const md = fs.readFileSync(path.join(dir, "r.md"), "utf8")
            const table = md
              .split("\n")
              .filter((line) => line.startsWith("| ") && !line.startsWith("| ---"))
            const users = table.slice(1, 1 + expected.length).map((line) =>
              line
                .slice(2, -2)
                .split(" | ")
                .map((cell) => cell.replace(/\\([\\|])/g, "$1"))
            )
            assert.deepStrictEqual(
              users.map(([username = "", employee_id = "", reason = ""]) => ({
                username,
                employee_id,
                reason
              })),
              expected
            )
            assert.include(md, "| listed | 7 |")
            assert.include(md, "| NOT_IN_SAP | 3 |")
            assert.include(md, "| run:total | 8 |")

            assert.deepStrictEqual(writes(emulator), [])
          })
      )

      it.effect("a hostile LDAP value stays text in the CSV: no formula, no extra row", () =>
        Effect.gen(function* () {
          const { dir, env } = yield* setup
          const file = path.join(dir, "r.csv")
          const made = yield* cli(
            ["report", "--process-all", "--reasons", "NOT_IN_SAP", "--out", file],
            env
          )
          assert.strictEqual(made.code, 0, made.stderr)
          const text = fs.readFileSync(file, "utf8")
          const rows = parseCsv(text)
          // Every row of the users' block has the header's five fields.
          const blank = rows.findIndex((row) => row.length === 1 && row[0] === "")
          assert.deepStrictEqual(
            rows.slice(0, blank).map((row) => row.length),
            [5, 5, 5, 5]
          )
          const cells = rows.slice(1, blank).flat()
          for (const cell of cells) assert.notMatch(cell, /^[=+\-@\t\r]/, cell)
          assert.include(cells, `'${hostile.replace(/\n/g, "\\n")}`)
          assert.include(text, `"'=HYPERLINK(""http://evil.example"",""x""),\\n@SUM(1)"`)
          assert.notInclude(text, "\n@SUM")
        })
      )

      it.effect("--reasons filters: NOT_IN_SAP lists only those, the totals say so", () =>
        Effect.gen(function* () {
          const { emulator, env } = yield* setup
          const made = yield* cli(
            [
              "report",
              "--process-all",
              "--reasons",
              "NOT_IN_SAP",
              "--format",
              "json",
              "--out",
              "-"
            ],
            env
          )
          assert.strictEqual(made.code, 0, made.stderr)
          // --out -: stdout holds the report and nothing else.
          const report = JSON.parse(made.stdout) as {
            run: Record<string, unknown>
            users: Array<Listed>
          }
          assert.deepStrictEqual(
            report.users.map((u) => u.employee_id),
            // The hostile username starts with "=": it sorts before the letters.
            ["00920097", "00920098", "00920099"]
          )
          assert.deepStrictEqual(report.run["listed_by_reason"], { NOT_IN_SAP: 3 })
          assert.deepStrictEqual(writes(emulator), [])
        })
      )

      it.effect(
        "an unknown reason and an existing --out are usage errors (64) before the run",
        () =>
          Effect.gen(function* () {
            const { emulator, dir, env } = yield* setup
            const unknown = yield* cli(
              [
                "report",
                "--process-all",
                "--reasons",
                "NOT_IN_SAP,not-in-sap,DUPLICATE_EMPLOYE_ID",
                "--out",
                "-"
              ],
              env
            )
            assert.strictEqual(unknown.code, 64)
            assert.strictEqual(unknown.stdout, "")
            // Names are exact, as the JSON output spells them; each wrong one is named.
            assert.include(unknown.stderr, 'unknown reason "not-in-sap" (did you mean NOT_IN_SAP?)')
            assert.include(
              unknown.stderr,
              'unknown reason "DUPLICATE_EMPLOYE_ID" (did you mean DUPLICATE_EMPLOYEE_ID?)'
            )

            const file = path.join(dir, "taken.csv")
            fs.writeFileSync(file, "HR's own notes\n")
            const taken = yield* cli(["report", "--process-all", "--out", file], env)
            assert.strictEqual(taken.code, 64)
            assert.include(taken.stderr, "already exists; give another --out, or --force")
            assert.strictEqual(fs.readFileSync(file, "utf8"), "HR's own notes\n")
            assert.deepStrictEqual(emulator.log(), [])

            const forced = yield* cli(["report", "--process-all", "--out", file, "--force"], env)
            assert.strictEqual(forced.code, 0, forced.stderr)
            assert.match(fs.readFileSync(file, "utf8"), /^username,employee_id,reason,message/)
          })
      )

      it.effect("an aborted run writes no report and exits 4", () =>
        Effect.gen(function* () {
          const { emulator, dir, env } = yield* setup
          emulator.script({ method: "GET", status: 401, times: 100 })
          const file = path.join(dir, "aborted.csv")
          const aborted = yield* cli(["report", "--process-all", "--out", file], env)
          assert.strictEqual(aborted.code, 4, aborted.stderr)
          assert.isFalse(fs.existsSync(file))
          assert.match(aborted.stderr.trim().split("\n").pop() ?? "", /^writeback: run aborted: /)
          assert.deepStrictEqual(writes(emulator), [])
        })
      )
    }
  )
})
