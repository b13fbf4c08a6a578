// The bench as `npm run bench:quick` runs it, limited to cheap scenarios: a process that
// starts slapd and the emulator, runs each scenario in its own child and writes the report.
// Figures are checked for being there, never against timing thresholds.
import { ChildProcess } from "@dfo-writeback/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { names, quickSizes } from "../src/Plan.js"
import type { Report } from "../src/Report.js"

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url))
const size = quickSizes.directories[0] ?? 0
const expected = [names.ldapsearch(size), names.ldapts(size), names.unchanged(size)]

/** The built bench as `npm run bench:quick` runs it, with nothing from this environment. */
const runBench = (args: ReadonlyArray<string>) =>
  ChildProcess.run(process.execPath, [main, ...args], { inheritEnv: false }).pipe(
    Effect.provide(ChildProcess.layer)
  )

const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "bench-test-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

describe("npm run bench:quick", () => {
  it.scopedLive(
    "--only runs the named scenarios in children and reports their figures",
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir
        const out = join(dir, "report.json")
        const { code, stderr, stdout } = yield* runBench([
          "--quick",
          "--only",
          `floors,${names.unchanged(size)}`,
          "--out",
          out,
          "--repeat",
          "2"
        ])
        assert.strictEqual(code, 0, `${stdout}${stderr}`)
        const report = JSON.parse(yield* Effect.promise(() => readFile(out, "utf8"))) as Report
        assert.strictEqual(report.mode, "quick")
        assert.deepStrictEqual(report.failures, [])
        assert.isAbove(report.machine.cpuCount, 0)
        assert.notStrictEqual(report.machine.commit, "")
        assert.deepStrictEqual(
          report.scenarios.map((s) => s.name),
          expected
        )
        assert.deepStrictEqual(report.repetitions, { all: 2, original: 2 })
        for (const scenario of report.scenarios) {
          assert.strictEqual(scenario.repetitions.length, 2, scenario.name)
          assert.isAbove(scenario.wallMs, 0, scenario.name)
          assert.isAbove(scenario.peakRssMb, 0, scenario.name)
          // User + system CPU of the measured process over the timed part: at most every
          // core busy for the whole wall time, plus a tick of /proc and a sampling interval.
          assert.isAtLeast(scenario.cpuMs, 0, scenario.name)
          assert.isAtMost(scenario.cpuMs, scenario.wallMs * cpus().length + 50, scenario.name)
          if (scenario.name !== names.ldapsearch(size)) assert.isAbove(scenario.cpuMs, 0)
          assert.isAbove(scenario.usersPerSec, 0, scenario.name)
          assert.strictEqual(scenario.users, size, scenario.name)
        }
        const run = report.scenarios.find((s) => s.name === names.unchanged(size))
        assert.strictEqual(run?.metrics["total"], size)
        assert.strictEqual(run?.metrics["updated"], 0)
        // Nothing to change: the one list GET is all DFØ sees.
        assert.deepStrictEqual(run?.dfoRequests, { GET: 1 })
        assert.include(
          report.ratios.map((r) => r.name),
          `ldapts / ldapsearch (${size})`
        )
        const rss = report.targets.find((t) => t.name === `peak RSS, full run, ${size}`)
        assert.isAbove(rss?.value ?? 0, 0)
        assert.notStrictEqual(rss?.status, "not measured")
        // What the run left out is still listed, as not measured.
        const grpc = report.targets.find((t) => t.name.includes("gRPC"))
        assert.strictEqual(grpc?.status, "not measured")
      }),
    120_000
  )
})
