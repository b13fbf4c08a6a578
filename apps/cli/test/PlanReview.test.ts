// The review workflow as an operator runs it (the built CLI as a process, over slapd and the
// emulator): a review file people can open, a comment under the digest, who applied it, and
// malformed plans refused in plain words.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { backendEnvironment, runCli } from "./CliProcess.js"
import { person } from "./people.js"

// idautoIDs and employee ids sort opposite to the usernames.
const people = [
  person("åse", "00920001", "00000000-0000-4000-8000-000000000001"),
  person("=cmd", "00920002", "00000000-0000-4000-8000-000000000002"),
  person("bjørn", "00920003", "00000000-0000-4000-8000-000000000003"),
  person("ada", "00920004", "00000000-0000-4000-8000-000000000004")
]

const backends = Layer.mergeAll(
  LdapTestbed.layer({ entries: people }),
  DfoEmulator.layer({
    employees: [
      ...["00920001", "00920002", "00920003"].map((id) =>
        makeEmployee({ id, epost: "old@uni.no", eksternIdent: null })
      )
      // 00920004 (ada) is not in DFØ: skipped, NOT_IN_SAP.
    ]
  })
)

const comment = "CHG0012345: new e-mail domain, approved by Kari (HR)"

const setup = Effect.map(backendEnvironment(), ({ emulator, env }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "writeback-review-"))
  return { emulator, dir, env }
})

const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.promise(() => runCli(args, env))

/** The CLI's caller in these tests: no SUDO_USER or USER is passed, so the process's user. */
const caller = os.userInfo().username

const expectedCsv = (digest: string, createdAt: string) =>
  [
    "username,employee_id,field,before,after,kept_fields,idauto_id",
    "'=cmd,00920002,eksternIdent,,'=cmd@uni.no,,00000000-0000-4000-8000-000000000002",
    "'=cmd,00920002,epost,old@uni.no,'=cmd.mail@uni.no,,00000000-0000-4000-8000-000000000002",
    "bjørn,00920003,eksternIdent,,bjørn@uni.no,,00000000-0000-4000-8000-000000000003",
    "bjørn,00920003,epost,old@uni.no,bjørn.mail@uni.no,,00000000-0000-4000-8000-000000000003",
    "åse,00920001,eksternIdent,,åse@uni.no,,00000000-0000-4000-8000-000000000001",
    "åse,00920001,epost,old@uni.no,åse.mail@uni.no,,00000000-0000-4000-8000-000000000001",
    "",
    "total,count",
    "users,3",
    "changes,6",
    "changes:eksternIdent,3",
    "changes:epost,3",
    "skipped:NOT_IN_SAP,1",
    `plan:digest,${digest}`,
    `plan:created_at,${createdAt}`,
    `plan:made_by,${caller}`,
    // The comment holds a comma: quoted, as RFC 4180 has it.
    `plan:comment,"${comment}"`,
    ""
  ].join("\r\n")

describe("writeback plan's review and apply's record (the CLI as a process)", () => {
  layer(backends, { timeout: "120 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect(
        "--review FILE: rows by username with totals; the comment in the plan; apply records caller and comment",
        () =>
          Effect.gen(function* () {
            const { dir, emulator, env } = yield* setup
            const file = path.join(dir, "plan.json")
            const review = path.join(dir, "review.csv")
            const planned = yield* cli(
              ["plan", "--process-all", "--out", file, "--review", review, "--comment", comment],
              env
            )
            assert.strictEqual(planned.code, 0, planned.stderr)
            assert.include(
              planned.stdout,
              `plan written to ${file}; review (csv) written to ${review}: 3 users to write`
            )
            const plan = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>
            assert.strictEqual(plan["comment"], comment)
            assert.strictEqual(plan["made_by"], caller)
            assert.strictEqual(
              fs.readFileSync(review, "utf8"),
              expectedCsv(String(plan["digest"]), String(plan["created_at"]))
            )

            const logFile = path.join(dir, "audit.log")
            const applied = yield* cli(["apply", file, "--log-file", logFile], env)
            assert.strictEqual(applied.code, 0, applied.stderr)
            assert.include(
              applied.stdout,
              `applying plan ${String(plan["digest"])} made ${String(plan["created_at"])} by ${caller}: ${comment}`
            )
            assert.match(applied.stdout, new RegExp(`caller\\s+${caller}`))
            const audit = fs
              .readFileSync(logFile, "utf8")
              .split("\n")
              .filter((line) => line.startsWith("{"))
              .map((line) => JSON.parse(line) as Record<string, unknown>)
              .filter((line) => line["audit"] === true)
            assert.strictEqual(audit.length, 6) // intent and done for each of 3 users
            for (const line of audit) {
              assert.strictEqual(line["caller"], caller)
              assert.strictEqual(line["plan_digest"], plan["digest"])
              assert.strictEqual(line["plan_made_by"], caller)
              assert.strictEqual(line["plan_comment"], comment)
            }
            assert.strictEqual(emulator.employee("00920001")?.epost, "åse.mail@uni.no")
          })
      )

      it.effect("--review - and --format alone: stdout holds the review and nothing else", () =>
        Effect.gen(function* () {
          const { dir, env } = yield* setup
          for (const [name, args] of [
            ["dash.json", ["--review", "-"]],
            ["format.json", ["--format", "csv"]]
          ] as const) {
            const file = path.join(dir, name)
            const planned = yield* cli(["plan", "--process-all", "--out", file, ...args], env)
            assert.strictEqual(planned.code, 0, planned.stderr)
            const plan = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>
            assert.strictEqual(
              planned.stdout,
              expectedCsv(String(plan["digest"]), String(plan["created_at"])).replace(
                `plan:comment,"${comment}"`,
                "plan:comment,"
              )
            )
            // The run's own view and the "written" line are on stderr.
            assert.include(planned.stderr, "WOULD_UPDATE")
            assert.include(planned.stderr, `plan written to ${file}: 3 users to write`)
          }
          const markdown = yield* cli(
            ["plan", "--process-all", "--out", path.join(dir, "md.json"), "--format", "markdown"],
            env
          )
          assert.strictEqual(markdown.code, 0, markdown.stderr)
          assert.match(markdown.stdout, /^# Plan sha256:[0-9a-f]{64}\n/)
          const rows = markdown.stdout.split("\n").filter((line) => line.includes("| epost |"))
          assert.deepStrictEqual(
            rows.map((row) => row.split(" | ")[0]),
            ["| =cmd", "| bjørn", "| åse"]
          )
          assert.include(markdown.stdout, "| skipped:NOT_IN_SAP | 1 |")
        })
      )

      it.effect(
        "usage errors: --json with the review on stdout, a bad comment, one file twice",
        () =>
          Effect.gen(function* () {
            const { dir, emulator, env } = yield* setup
            const file = path.join(dir, "plan.json")
            const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
              [["--format", "csv", "--json"], "--json and the review cannot share stdout"],
              [["--comment", "two\nlines"], "--comment holds a control character"],
              [["--comment", "x".repeat(501)], "--comment has 501 characters, over 500"],
              [["--review", file], "--review and --out name the same file"]
            ]
            for (const [args, expected] of cases) {
              const refused = yield* cli(["plan", "--process-all", "--out", file, ...args], env)
              assert.strictEqual(refused.code, 64, refused.stderr)
              assert.include(refused.stderr, expected)
            }
            assert.isFalse(fs.existsSync(file))
            assert.deepStrictEqual(emulator.log(), [])
          })
      )

      it.effect("a review that cannot be written: exit 2, the plan stays", () =>
        Effect.gen(function* () {
          const { dir, env } = yield* setup
          const file = path.join(dir, "plan.json")
          const review = path.join(dir, "missing", "review.csv")
          const planned = yield* cli(
            ["plan", "--process-all", "--out", file, "--review", review],
            env
          )
          assert.strictEqual(planned.code, 2, planned.stderr)
          assert.match(
            planned.stderr.trim().split("\n").pop() ?? "",
            /^writeback: cannot write the review to .*missing\/review\.csv: ENOENT/
          )
          assert.isTrue(fs.existsSync(file))
        })
      )

      it.effect("a malformed plan is refused in words that name the field", () =>
        Effect.gen(function* () {
          const { dir, env } = yield* setup
          const file = path.join(dir, "plan.json")
          const planned = yield* cli(["plan", "--process-all", "--out", file], env)
          assert.strictEqual(planned.code, 0, planned.stderr)
          const json = JSON.parse(fs.readFileSync(file, "utf8")) as {
            users: Array<Record<string, unknown>>
          }
          delete json.users[1]?.["sap_id"]
          fs.writeFileSync(file, JSON.stringify(json))
          const refused = yield* cli(["apply", file], env)
          assert.strictEqual(refused.code, 2)
          assert.strictEqual(
            refused.stderr.trim().split("\n").pop(),
            `writeback: PLAN_MALFORMED: ${file} is not a usable plan: field \`users[1].sap_id\` is missing; nothing written`
          )
        })
      )
    }
  )
})
