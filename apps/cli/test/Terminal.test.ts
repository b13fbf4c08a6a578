// The run as a person sees it on a terminal (under a pseudo-terminal from `script`), and
// its progress off a terminal: the built CLI as a process over slapd and the emulator.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { ChildProcess } from "@dfo-writeback/testkit"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { backendEnvironment, bin, jsonLines, logLinesSaying, runCli } from "./CliProcess.js"

/** Five eligible people whose DFØ records lack their identifiers: five writes. */
const writers = Array.from({ length: 5 }, (_, n) => ({
  idautoID: `00000000-0000-4000-8000-00000000100${n}`,
  idautoPersonSystem1ID: `writer${n}`,
  idautoPersonSAMAccountName: `writer${n}.uh`,
  idautoPersonPayrollID: `0090010${n}`,
  idautoPersonSystem5ID: `writer${n}@uni.no`,
  idautoPersonSystem2ID: `writer.${n}@uni.no`,
  mail: `writer${n}@uni.no`,
  idautoPersonAppRoles2: "Active Directory"
}))

/** Generated people without a DFØ record: skipped as NOT_IN_SAP or earlier, none written. */
const generated = 20
const directorySize = generated + writers.length

const backends = Layer.mergeAll(
  LdapTestbed.layer({ users: generated, seed: 31, entries: writers }),
  DfoEmulator.layer({
    employees: writers.map((w) =>
      makeEmployee({ id: w.idautoPersonPayrollID, eksternIdent: null, epost: "" })
    )
  })
)

const scratch = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "writeback-terminal-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

/**
 * The lines a terminal keeps: each `\n`-ended line as it stands after its last
 * "clear line" (the progress line is redrawn in place and cleared before a line is
 * printed); what is left unended at the end is the cleared progress line.
 */
const keptLines = (screen: string) =>
  screen
    .replace(/\r\n/g, "\n")
    .split("\n")
    .slice(0, -1)
    .map((line) => line.split("\r\u001b[2K").at(-1) ?? "")

describe("writeback on a terminal and off it (the CLI as a process)", () => {
  layer(backends, { timeout: "120 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect(
        "on a terminal: one line per written user, progress with the total, the audit record in the log file",
        () =>
          Effect.gen(function* () {
            const { env, emulator } = yield* backendEnvironment()
            const state = yield* scratch
            // Answers slow enough that results arrive after the run knows its total.
            emulator.setFaults({ latencyMs: 150 })
            const run = yield* ChildProcess.run(
              "script",
              ["-qfec", `${process.execPath} ${bin} run --process-all`, "/dev/null"],
              { env: { ...env, XDG_STATE_HOME: state, TERM: "dumb" }, inheritEnv: false }
            ).pipe(Effect.provide(ChildProcess.layer))
            emulator.setFaults({ latencyMs: 0 })
            assert.strictEqual(run.code, 0, run.stdout)
            const lines = keptLines(run.stdout)
            const logFile = path.join(state, "dfo-writeback", "writeback.log")
            // Before the summary table: where the log goes, the run's id, one line per write.
            const table = lines.findIndex((line) => line.startsWith("  run "))
            assert.isAbove(table, 0, run.stdout)
            const before = lines.slice(0, table)
            assert.strictEqual(before.length, 2 + writers.length, before.join("\n"))
            assert.include(before[0], `appended to ${logFile} (--log-file FILE to choose)`)
            assert.match(before[1] ?? "", /^run [0-9a-f-]{36}$/)
            const updated = before.slice(2)
            assert.isTrue(
              updated.every((line) => /^UPDATED +writer\d sap 0090010\d .*→/.test(line)),
              updated.join("\n")
            )
            assert.notInclude(run.stdout, "audit_phase")
            // The progress line knew the directory's size once the plan was complete.
            assert.include(run.stdout, `/${directorySize} (`)
            // The audit record is in the file, in full, readable by its owner only.
            const logged = jsonLines(fs.readFileSync(logFile, "utf8")).filter(
              (line) => line["audit"] === true
            )
            const phases = (phase: string) =>
              logged.filter((line) => line["audit_phase"] === phase).map((l) => l["sap_id"])
            const ids = writers.map((w) => w.idautoPersonPayrollID)
            assert.sameMembers(phases("intent"), ids)
            assert.sameMembers(phases("done"), ids)
            assert.strictEqual(fs.statSync(logFile).mode & 0o777, 0o600)
          }).pipe(Effect.scoped)
      )

      it.effect(
        "off a terminal: a progress log line every 10 s, with the total and an estimate",
        () =>
          Effect.gen(function* () {
            const { env, emulator } = yield* backendEnvironment()
            // The writes answered 3, 5, 7, 9 and 11 s after they arrive: the run lasts past
            // the first progress line, which comes with results since the total was known.
            emulator.setHooks({
              onRequest: (request) =>
                request.method === "PUT"
                  ? new Promise<undefined>((resolve) =>
                      setTimeout(
                        () => resolve(undefined),
                        3_000 + 2_000 * Number(request.path.at(-1))
                      )
                    )
                  : undefined
            })
            const run = yield* Effect.promise(() =>
              runCli(["run", "--process-all", "--json"], { ...env, SAP_TIMEOUT_MS: "20000" })
            )
            emulator.setHooks({ onRequest: undefined })
            assert.strictEqual(run.code, 0, run.stderr)
            const progress = logLinesSaying(run.stderr, "progress")
            assert.isAtLeast(progress.length, 1, run.stderr)
            const first = progress[0] ?? {}
            assert.strictEqual(first["total"], directorySize, JSON.stringify(first))
            assert.isAtLeast(Number(first["examined"]), generated + 1)
            assert.isNumber(first["eta_seconds"])
            assert.isString(first["run_id"])
            // Nothing else between "run started" and "run finished" but audit lines.
            const messages = new Set(
              run.stderr
                .split("\n")
                .filter((line) => line.startsWith("{"))
                .map((line) => (JSON.parse(line) as Record<string, unknown>)["message"])
            )
            assert.sameMembers([...messages], ["run started", "audit", "progress", "run finished"])
          })
      )
    }
  )
})
