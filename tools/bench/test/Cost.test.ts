// What a scenario costs is the measured process's own: its VmHWM and its CPU time, whatever
// the size of the process that started it. The bench's main process hosts the emulator
// (over 1 GB at 200 000 employees), so a figure inherited from the parent is a lie.
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { Population } from "@dfo-writeback/population"
import { ChildProcess } from "@dfo-writeback/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { cpus } from "node:os"
import { fileURLToPath } from "node:url"
import type { ChildOutput, ScenarioInput } from "../src/internal/protocol.js"
import { peakRssMb } from "../src/internal/rss.js"
import { now } from "../src/internal/timing.js"
import { watchProcess } from "../src/internal/watch.js"
import { names, quickSizes, scenarios, seed } from "../src/Plan.js"

const scenarioFile = fileURLToPath(new URL("../dist/scenario.js", import.meta.url))
const cores = cpus().length
/** Room for one sampling interval, a clock tick of /proc and rounding. */
const slackMs = 50

/**
 * Grows this (the parent) process's resident set by about `mb` MB of Buffers it writes to,
 * kept alive until the scope closes.
 */
const grown = (mb: number) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const held = Array.from({ length: mb / 10 }, () => Buffer.alloc(10 * 1024 * 1024, 1))
      return { held, peakMb: peakRssMb() }
    }),
    ({ held }) => Effect.sync(() => void held.splice(0))
  )

/** A Node process doing a fixed amount of work, printing its own `maxRSS` in MB. */
const burn = `let x = 0
for (let i = 0; i < 2e8; i++) x = (x + i) % 7
console.log(JSON.stringify({ x, maxRssMb: process.resourceUsage().maxRSS / 1024 }))`

/** Runs `burn` in a child, watched from outside as the floors watch ldapsearch. */
const burnWatched = Effect.async<{
  wallMs: number
  cpuMs: number
  peakRssMb: number
  maxRssMb: number
}>((resume) => {
  const start = now()
  const child = spawn(process.execPath, ["-e", burn], { stdio: ["ignore", "pipe", "inherit"] })
  const cost = watchProcess(child.pid as number)
  let stdout = ""
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
  child.once("close", () => {
    const wallMs = now() - start
    const { maxRssMb } = JSON.parse(stdout) as { maxRssMb: number }
    resume(Effect.succeed({ wallMs, ...cost.stop(), maxRssMb }))
  })
})

/** One scenario as the bench runs it: dist/scenario.js in a process of its own. */
const runScenario = (name: string, input: ScenarioInput) =>
  Effect.gen(function* () {
    const out = yield* ChildProcess.run(
      process.execPath,
      [scenarioFile, name, JSON.stringify(input)],
      {
        stderr: "inherit"
      }
    )
    assert.strictEqual(out.code, 0, out.stdout)
    return JSON.parse(out.stdout.trim().split("\n").pop() ?? "") as ChildOutput
  }).pipe(Effect.provide(ChildProcess.layer))

const size = 2000
const specOf = (name: string) => {
  const spec = scenarios(quickSizes).find((s) => s.name === name)
  if (spec === undefined) throw new Error(`no scenario ${name}`)
  return spec
}

describe("a scenario's cost", () => {
  it.scopedLive(
    "an outside process's peak RSS and CPU are its own, not its parent's",
    () =>
      Effect.gen(function* () {
        const parent = yield* grown(320)
        assert.isAbove(parent.peakMb, 300)
        const child = yield* burnWatched
        // Why maxRSS will not do: Linux carries the parent's high-water mark into the child.
        if (process.platform === "linux") assert.isAbove(child.maxRssMb, 250)
        // A bare Node process is some 40 MB, whatever its parent holds.
        assert.isBelow(child.peakRssMb, 120)
        assert.isAbove(child.cpuMs, 0)
        assert.isAtMost(child.cpuMs, child.wallMs * cores + slackMs)
      }),
    60_000
  )

  it.scopedLive(
    "a scenario child reports its own VmHWM and the CPU of its timed part",
    () =>
      Effect.gen(function* () {
        const bed = yield* LdapTestbed.scoped({
          population: Population.make({ count: size, seed })
        })
        const parent = yield* grown(320)
        assert.isAbove(parent.peakMb, 300)
        const ldap = {
          url: bed.url,
          bindDn: bed.bindDn,
          password: bed.password,
          baseDn: bed.baseDn
        }
        for (const name of [names.ldapts(size), names.ldapsearch(size)]) {
          const spec = specOf(name)
          const out = yield* runScenario(name, { params: spec.params, users: size, seed, ldap })
          // A Node child reading 2 000 entries stays near 100 MB, ldapsearch under 10; both
          // would read above 300 MB if the figure came from maxRSS.
          assert.isAbove(out.peakRssMb, 0, name)
          assert.isBelow(out.peakRssMb, 200, name)
          // ldapsearch may finish inside one 10 ms tick of /proc; the Node client cannot.
          if (name === names.ldapts(size)) assert.isAbove(out.cpuMs, 0, name)
          else assert.isAtLeast(out.cpuMs, 0, name)
          assert.isAtMost(out.cpuMs, out.wallMs * cores + slackMs, name)
        }
      }),
    120_000
  )
})
