// How a CLI run ends when it aborts, when users fail, and when its log, its stdout or its
// plan file cannot be written: the built CLI as a process, against slapd and the emulator.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { generateEmployees, LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { backendEnvironment, type Finished, jsonLines, runCli, runCliTo } from "./CliProcess.js"

const people = generateEmployees({ count: 40, seed: 19 })

const backends = Layer.mergeAll(
  LdapTestbed.layer({ users: people.length, seed: 19 }),
  // DFØ lacks every identifier: each eligible person needs a write.
  DfoEmulator.layer({
    employees: people.flatMap((p) =>
      p.payrollId === undefined
        ? []
        : [makeEmployee({ id: p.payrollId, eksternIdent: null, epost: "", brukerident: null })]
    )
  })
)

const environment = backendEnvironment()

const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.promise(() => runCli(args, env))

const puts = (emulator: DfoEmulator["Type"]) => emulator.log().filter((e) => e.method === "PUT")

const lastLine = (text: string) => text.trimEnd().split("\n").at(-1) ?? ""

/** The JSON log lines on stderr (the `writeback: …` lines are not JSON). */
const logsOf = (run: Finished) =>
  jsonLines(
    run.stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .join("\n")
  )

const summaryOf = (run: Finished) =>
  jsonLines(run.stdout).at(-1)?.["summary"] as Record<string, unknown> | undefined

const scratch = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "writeback-endings-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

/**
 * A tmpfs of `size` bytes for the length of the scope, or `undefined` where mounting is
 * not permitted (not root, no CAP_SYS_ADMIN).
 */
const smallDisk = (size: number) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "writeback-disk-"))
      try {
        execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], {
          stdio: "ignore"
        })
        return dir
      } catch {
        fs.rmdirSync(dir)
        return undefined
      }
    }),
    (dir) =>
      Effect.sync(() => {
        if (dir === undefined) return
        execFileSync("umount", [dir])
        fs.rmdirSync(dir)
      })
  )

const noMount = "tmpfs cannot be mounted here (needs root): the full-disk case is skipped"

describe("how a run ends (the CLI as a process)", () => {
  layer(backends, { timeout: "180 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect(
        "a refused key aborts: exit 4, one error-level abort line, stderr ends with the reason",
        () =>
          Effect.gen(function* () {
            const { env, emulator } = yield* environment
            const run = yield* cli(["run", "--process-all", "--json"], {
              ...env,
              SAP_API_KEY: "not-a-key"
            })
            assert.strictEqual(run.code, 4, run.stderr)
            assert.strictEqual(summaryOf(run)?.["aborted"], true, run.stdout)
            assert.match(lastLine(run.stderr), /^writeback: run aborted: .*HTTP 401/)
            // The bulk list is refused before any user is read: the abort is the one error.
            const errors = logsOf(run).filter((line) => line["level"] === "error")
            assert.deepStrictEqual(
              errors.map((line) => line["message"]),
              ["run aborted"]
            )
            assert.strictEqual(puts(emulator).length, 0)
          })
      )

      it.effect("apply aborts like run: a refused key exits 4 with the reason last", () =>
        Effect.gen(function* () {
          const { env, emulator } = yield* environment
          const dir = yield* scratch
          const file = path.join(dir, "plan.json")
          const plan = yield* cli(["plan", "--process-all", "--out", file], env)
          assert.strictEqual(plan.code, 0, plan.stderr)
          const apply = yield* cli(["apply", file, "--json"], { ...env, SAP_API_KEY: "not-a-key" })
          assert.strictEqual(apply.code, 4, apply.stderr)
          assert.match(lastLine(apply.stderr), /^writeback: run aborted: .*HTTP 401/)
          assert.strictEqual(puts(emulator).length, 0)
        }).pipe(Effect.scoped)
      )

      it.effect("a run with a failed user exits 1 and logs its end at error level", () =>
        Effect.gen(function* () {
          const { env, emulator } = yield* environment
          // The first write DFØ receives is rejected.
          emulator.script({
            method: "PUT",
            status: 422,
            faultText: "UGYLDIG EPOST"
          })
          const run = yield* cli(["run", "--process-all", "--json"], env)
          assert.strictEqual(run.code, 1, run.stderr)
          assert.strictEqual(summaryOf(run)?.["updateFailed"], 1, run.stdout)
          const finished = logsOf(run).filter((line) => line["message"] === "run finished")
          assert.deepStrictEqual(
            finished.map((line) => line["level"]),
            ["error"]
          )
        })
      )

      it.effect("--log-file /dev/full: no write is sent, stderr names the audit log, exit 4", () =>
        Effect.gen(function* () {
          const { env, emulator } = yield* environment
          const run = yield* cli(["run", "--process-all", "--json", "--log-file", "/dev/full"], env)
          assert.strictEqual(run.code, 4, run.stderr)
          assert.match(
            lastLine(run.stderr),
            /^writeback: audit log \/dev\/full could not be written: ENOSPC/
          )
          const summary = summaryOf(run)
          assert.strictEqual(summary?.["aborted"], true, run.stdout)
          assert.include(String(summary?.["abortReason"]), "audit log could not be written")
          assert.strictEqual(puts(emulator).length, 0)
        })
      )

      it.effect(
        "a log disk that fills mid-run: every PUT has its intent line, none follows the failure",
        (ctx) =>
          Effect.gen(function* () {
            const { env, emulator } = yield* environment
            const disk = yield* smallDisk(8192)
            if (disk === undefined) {
              console.log(noMount)
              return ctx.skip()
            }
            const file = path.join(disk, "run.log")
            const run = yield* cli(["run", "--process-all", "--json", "--log-file", file], {
              ...env,
              SAP_CONCURRENCY: "4"
            })
            assert.strictEqual(run.code, 4, run.stderr)
            assert.match(lastLine(run.stderr), /^writeback: audit log .* could not be written: /)
            // Whole lines only: a line torn by the full disk counts as not written.
            const logged = fs
              .readFileSync(file, "utf8")
              .split("\n")
              .flatMap((line) => {
                try {
                  return [JSON.parse(line) as Record<string, unknown>]
                } catch {
                  return []
                }
              })
            const intents = logged
              .filter((line) => line["audit"] === true && line["audit_phase"] === "intent")
              .map((line) => Number(line["sap_id"]))
            const written = puts(emulator).map((entry) => Number(entry.path.split("/").pop()))
            // It filled mid-run: some writes went, far from all.
            assert.isAbove(written.length, 0)
            assert.isBelow(written.length, people.length / 2)
            assert.sameMembers(written, intents)
            const summary = summaryOf(run)
            assert.strictEqual(summary?.["aborted"], true, run.stdout)
            assert.strictEqual(
              Number(summary?.["updated"]),
              written.length,
              JSON.stringify(summary)
            )
          }).pipe(Effect.scoped)
      )

      it.effect(
        "logs on stderr to a full disk: no write is sent, the summary says why, exit 4",
        () =>
          Effect.gen(function* () {
            const { env, emulator } = yield* environment
            const run = yield* Effect.promise(() =>
              runCliTo(2, "/dev/full", ["run", "--process-all", "--json"], env)
            )
            assert.strictEqual(run.code, 4, run.stdout)
            const summary = summaryOf(run)
            assert.strictEqual(summary?.["aborted"], true, run.stdout)
            assert.match(
              String(summary?.["abortReason"]),
              /^the audit log could not be written: ENOSPC/
            )
            assert.strictEqual(puts(emulator).length, 0)
          })
      )

      it.effect("run --json to a full stdout: exit 2 and a stderr line naming stdout", () =>
        Effect.gen(function* () {
          const { env } = yield* environment
          const run = yield* Effect.promise(() =>
            runCliTo(1, "/dev/full", ["run", "--process-all", "--json", "--log-only"], env)
          )
          assert.strictEqual(run.code, 2, run.stderr)
          assert.match(lastLine(run.stderr), /^writeback: stdout could not be written: ENOSPC/)
        })
      )

      it.effect("plan --out keeps an existing file unless --force (usage error 64)", () =>
        Effect.gen(function* () {
          const { env } = yield* environment
          const dir = yield* scratch
          const file = path.join(dir, "plan.json")
          fs.writeFileSync(file, "an earlier plan")
          const refused = yield* cli(["plan", "--process-all", "--out", file], env)
          assert.strictEqual(refused.code, 64, refused.stderr)
          assert.include(refused.stderr, file)
          assert.include(refused.stderr, "--force")
          assert.strictEqual(fs.readFileSync(file, "utf8"), "an earlier plan")
          const forced = yield* cli(["plan", "--process-all", "--out", file, "--force"], env)
          assert.strictEqual(forced.code, 0, forced.stderr)
          assert.strictEqual(
            (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>)["version"],
            2
          )
          assert.deepStrictEqual(fs.readdirSync(dir), ["plan.json"])
        }).pipe(Effect.scoped)
      )

      it.effect("plan --out on a full disk: exit 2, no partial file left behind", (ctx) =>
        Effect.gen(function* () {
          const { env } = yield* environment
          const disk = yield* smallDisk(8192)
          if (disk === undefined) {
            console.log(noMount)
            return ctx.skip()
          }
          // Fill it, leaving less than a plan needs.
          fs.writeFileSync(path.join(disk, "filler"), Buffer.alloc(8192 - 512))
          const file = path.join(disk, "plan.json")
          const run = yield* cli(["plan", "--process-all", "--out", file], env)
          assert.strictEqual(run.code, 2, run.stderr)
          assert.match(
            lastLine(run.stderr),
            /^writeback: cannot write the plan to .*plan\.json: ENOSPC/
          )
          assert.deepStrictEqual(fs.readdirSync(disk), ["filler"])
        }).pipe(Effect.scoped)
      )
    }
  )
})
