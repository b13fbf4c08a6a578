// `writeback plan` and `writeback apply` as processes, against a real slapd and the emulator.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Plan } from "@dfo-writeback/writeback"
import { Effect, Layer } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { backendEnvironment, jsonLines, runCli } from "./CliProcess.js"
import { person } from "./people.js"

const ann = person("ann", "00910001")
// ben's idautoID sorts before ann's: the review's rows go by username all the same.
const ben = person("ben", "00910002", "00000000-0000-4000-8000-000000000001")

const backends = Layer.mergeAll(
  LdapTestbed.layer({ entries: [ann, ben] }),
  DfoEmulator.layer({
    employees: [
      makeEmployee({ id: "00910001", epost: "old@uni.no", eksternIdent: null }),
      makeEmployee({ id: "00910002", epost: "old@uni.no", eksternIdent: null })
    ]
  })
)

const setup = Effect.map(backendEnvironment(), ({ emulator, env }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "writeback-plan-"))
  return { emulator, file: path.join(dir, "plan.json"), env }
})

const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.promise(() => runCli(args, env))

const writes = (emulator: DfoEmulator["Type"]) =>
  emulator.log().filter((e) => e.method === "PUT" || e.method === "PATCH")

describe("writeback plan / apply (the CLI as a process)", () => {
  layer(backends, { timeout: "120 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect("plan writes a file and nothing to DFØ; apply writes exactly it", () =>
        Effect.gen(function* () {
          const { emulator, file, env } = yield* setup
          const planned = yield* cli(
            ["plan", "--process-all", "--out", file, "--format", "table"],
            env
          )
          assert.strictEqual(planned.code, 0, planned.stderr)
          // stdout is the review alone; the run's own output went to stderr.
          assert.match(planned.stdout, /^plan digest sha256:/)
          assert.include(planned.stdout, "idauto_id")
          assert.include(
            planned.stdout,
            "2 users to write; changes by field: eksternIdent 2, epost 2"
          )
          assert.notInclude(planned.stdout, "WOULD_UPDATE")
          assert.include(planned.stderr, "WOULD_UPDATE")
          assert.include(planned.stderr, "plan written to")
          assert.deepStrictEqual(writes(emulator), [])
          const plan = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>
          assert.strictEqual(plan["version"], 2)
          assert.match(String(plan["digest"]), /^sha256:[0-9a-f]{64}$/)
          assert.notInclude(fs.readFileSync(file, "utf8"), emulator.apiKey)

          const applied = yield* cli(["apply", file, "--json"], env)
          assert.strictEqual(applied.code, 0, applied.stderr)
          const users = jsonLines(applied.stdout).flatMap((l) =>
            l["user"] === undefined ? [] : [l["user"] as Record<string, unknown>]
          )
          assert.deepStrictEqual(
            users.map((u) => u["outcome"]),
            ["OUTCOME_UPDATED", "OUTCOME_UPDATED"]
          )
          assert.deepStrictEqual(
            writes(emulator)
              .map((w) => w.path.split("/").pop())
              .sort(),
            ["00910001", "00910002"]
          )
        })
      )

      it.effect("a refused plan exits 2 with one line and writes nothing", () =>
        Effect.gen(function* () {
          const { emulator, file, env } = yield* setup
          const planned = yield* cli(["plan", "--process-all", "--out", file], env)
          assert.strictEqual(planned.code, 0, planned.stderr)
          const text = fs.readFileSync(file, "utf8")

          fs.writeFileSync(file, text.replace("ann.mail@uni.no", "someone@evil.example"))
          const altered = yield* cli(["apply", file], env)
          assert.strictEqual(altered.code, 2)
          assert.match(altered.stderr.trim().split("\n").pop() ?? "", /^writeback: PLAN_ALTERED: /)

          fs.writeFileSync(file, text)
          const other = yield* cli(["apply", file], { ...env, SAP_WRITEBACK_BRUKERIDENT: "true" })
          assert.strictEqual(other.code, 2)
          assert.match(other.stderr, /writeback: PLAN_OTHER_SETTINGS: .*rules/)

          fs.writeFileSync(file, "not json")
          const malformed = yield* cli(["apply", file], env)
          assert.strictEqual(malformed.code, 2)
          assert.match(malformed.stderr, /writeback: PLAN_MALFORMED: /)

          assert.deepStrictEqual(writes(emulator), [])
        })
      )

      it.effect(
        "apply refuses a FIFO, a device, an oversized file and a plan JSON.parse would misread: exit 2, nothing written",
        () =>
          Effect.gen(function* () {
            const { emulator, file, env } = yield* setup
            const planned = yield* cli(["plan", "--process-all", "--out", file], env)
            assert.strictEqual(planned.code, 0, planned.stderr)
            const text = fs.readFileSync(file, "utf8")
            const dir = path.dirname(file)
            const fifo = path.join(dir, "plan.fifo")
            execFileSync("mkfifo", [fifo])
            const large = path.join(dir, "large.json")
            // Sparse: one byte over the limit costs no disk.
            fs.writeFileSync(large, "")
            fs.truncateSync(large, Plan.maxFileBytes + 1)
            const { digest: _digest, ...body } = JSON.parse(text) as Plan.Plan
            const twice = { ...body, users: [...body.users, ...body.users] }
            const files = {
              shadowed: text.replace('"users": [', '"users": [],\n  "users": ['),
              twice: Plan.encode({ ...twice, digest: Plan.digestOf(twice) }),
              deep: `{"version":1,"x":${"[".repeat(5_000)}${"]".repeat(5_000)}}`
            }
            const cases: Array<readonly [string, RegExp]> = [
              [fifo, /PLAN_MALFORMED: .*plan\.fifo is not a regular file/],
              ["/dev/zero", /PLAN_MALFORMED: .*\/dev\/zero is not a regular file/],
              [large, /PLAN_MALFORMED: .*large\.json is larger than 96 MiB/]
            ]
            for (const [name, content] of Object.entries(files)) {
              const at = path.join(dir, `${name}.json`)
              fs.writeFileSync(at, content)
              cases.push([at, /PLAN_MALFORMED: /])
            }
            for (const [at, expected] of cases) {
              const refused = yield* Effect.promise(() => runCli(["apply", at], env, "20 seconds"))
              assert.strictEqual(refused.code, 2, `${at}: ${refused.stderr}`)
              assert.match(refused.stderr, expected, at)
            }
            assert.deepStrictEqual(writes(emulator), [])
          })
      )
    }
  )
})
