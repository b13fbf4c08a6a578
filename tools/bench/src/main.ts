// `npm run bench` / `npm run bench:quick`: starts the throw-away backends (slapd, the DFØ
// emulator, RabbitMQ) here, runs each scenario in a child process of its own so its peak RSS is its
// own, and writes bench/report.json plus the table in docs/benchmarks.md.
// Usage: node tools/bench/dist/main.js [--quick] [--only name|group,...] [--out file]
//        [--repeat N] [--repeat-original N]
// --quick writes bench/report.quick.json, --only bench/report.partial.json; neither touches
// the doc.
import { BrokerTestbed } from "@dfo-writeback/broker-testbed"
import { DfoEmulator } from "@dfo-writeback/dfo-emulator"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { Population } from "@dfo-writeback/population"
import { ChildProcess } from "@dfo-writeback/testkit"
import { Cause, Duration, Effect, Exit, Scope } from "effect"
import { mkdir, readFile, writeFile } from "node:fs/promises"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { runChild } from "./internal/child.js"
import { describeMachine } from "./internal/machine.js"
import type { BrokerBackend, LdapBackend, ScenarioInput } from "./internal/protocol.js"
import { now } from "./internal/timing.js"
import { spread, touch } from "./internal/touch.js"
import {
  defaultRepetitions,
  fullSizes,
  quickRepetitions,
  quickSizes,
  type Repetitions,
  repetitionsOf,
  scenarios,
  type ScenarioSpec,
  seed,
  select
} from "./Plan.js"
import { markdown, replaceBetweenMarkers } from "./Render.js"
import {
  type Repetition,
  repetitionOf,
  type Report,
  resultOf,
  type ScenarioResult
} from "./Report.js"
import { evaluate } from "./Targets.js"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const docFile = join(root, "docs", "benchmarks.md")

/** Long enough for the original script's shape at full size (minutes), short of forever. */
const childTimeout = Duration.minutes(45)

const usage = `usage: node tools/bench/dist/main.js [--quick] [--only name,group,...] [--out file]
                                   [--repeat N] [--repeat-original N]

  --quick            small sizes; writes bench/report.quick.json only
  --only             chosen scenarios or groups (floors, stream, dfo-client, full-run,
                     original, grpc, events); writes bench/report.partial.json
  --out              where to write the JSON report instead
  --repeat           runs of each scenario; the report shows medians (default
                     ${defaultRepetitions.all}, with --quick ${quickRepetitions.all})
  --repeat-original  runs of the original's shape, ~200 s each at full size
                     (default: as --repeat)
Without flags: every scenario at full size (about 18 minutes); writes bench/report.json and
the tables in docs/benchmarks.md. BENCH_NODE_FLAGS passes Node flags (e.g. --cpu-prof) to
each scenario's process, BENCH_SERVER_NODE_FLAGS to the built server the grpc and events
scenarios start.`

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string" },
    repeat: { type: "string" },
    "repeat-original": { type: "string" },
    help: { type: "boolean", short: "h", default: false }
  }
})
if (values.help === true) {
  console.log(usage)
  process.exit(0)
}
const quick = values.quick === true

const count = (flag: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${flag} needs a whole number of at least 1, got ${text}\n\n${usage}`)
    process.exit(64)
  }
  return value
}
const defaults = quick ? quickRepetitions : defaultRepetitions
const all = count("repeat", values.repeat, defaults.all)
// --repeat alone sets the original's shape too.
const repetitions: Repetitions = {
  all,
  original: count(
    "repeat-original",
    values["repeat-original"],
    values.repeat === undefined ? defaults.original : all
  )
}
const only = values.only
  ?.split(",")
  .map((s) => s.trim())
  .filter((s) => s !== "")
const sizes = quick ? quickSizes : fullSizes
// Only a complete full run replaces the committed report; the others are local checks.
const outFile =
  values.out ??
  join(
    root,
    "bench",
    quick ? "report.quick.json" : only === undefined ? "report.json" : "report.partial.json"
  )

/** The directory's load time as its entries say it: before any incremental window. */
const loadedAt = "20250101000000Z"

const say = (line: string) => void process.stdout.write(`${line}\n`)

/** Reads the whole list once so the emulator's one-off serialisation is not the program's time. */
const warmList = (baseUrl: string, apiKey: string) =>
  Effect.promise(async () => {
    const response = await fetch(baseUrl, { headers: { "x-gravitee-api-key": apiKey } })
    await response.arrayBuffer()
  })

/**
 * DFØ's records for a scenario: the same people as the directory (the DFØ mix never changes
 * them), only `changeShare` of them stale, topped up to `listSize` with employees who have
 * no directory entry (some directory people have no record: no payroll id, a shared one).
 */
const employeesOf = (users: number, dfo: NonNullable<ScenarioSpec["dfo"]>) => {
  const options = {
    count: users,
    seed,
    dfo: { staleEpost: dfo.changeShare, empty: 0, otherBrukerident: 0, absent: 0 }
  }
  const records = Population.make(options).dfoRecords
  const missing = (dfo.listSize ?? 0) - records.length
  return missing <= 0 ? records : Population.make({ ...options, dfoOnly: missing }).dfoRecords
}

const program = Effect.gen(function* () {
  const started = now()
  const specs = select(scenarios(sizes), only)
  if (specs.length === 0) {
    return yield* Effect.dieMessage(`no scenario or group named ${only?.join(", ")}`)
  }
  const machine = describeMachine(root)
  const outer = yield* Effect.scope
  // One slapd per directory size, started on first use and kept for the scenarios after;
  // loaded as if long ago, so an incremental run's window holds only what a scenario
  // modifies.
  const testbed = yield* Effect.cachedFunction((users: number) =>
    LdapTestbed.scoped({
      population: Population.make({ count: users, seed }),
      modifyTimestamp: loadedAt
    }).pipe(Effect.orDie, Scope.extend(outer))
  )
  // One broker for the bench, started on first use (6–8 s); each scenario declares its own queue.
  const broker = yield* Effect.cached(
    BrokerTestbed.scoped().pipe(
      Effect.map((started): BrokerBackend => ({ url: started.url })),
      Effect.provide(ChildProcess.layer),
      Effect.orDie,
      Scope.extend(outer)
    )
  )

  const runOne = (spec: ScenarioSpec) =>
    Effect.scoped(
      Effect.gen(function* () {
        const bed = spec.ldap ? yield* testbed(spec.users) : undefined
        const ldap: LdapBackend | undefined =
          bed === undefined
            ? undefined
            : {
                url: bed.url,
                bindDn: bed.bindDn,
                password: bed.password,
                baseDn: bed.baseDn,
                admin: { dn: bed.adminDn, password: bed.adminPassword }
              }
        const emulator =
          spec.dfo === undefined
            ? undefined
            : yield* DfoEmulator.scoped({
                employees: employeesOf(spec.users, spec.dfo),
                faults: { latencyMs: spec.dfo.latencyMs }
              }).pipe(Effect.orDie)
        if (emulator !== undefined) {
          yield* warmList(emulator.baseUrl, emulator.apiKey)
          emulator.resetLog()
        }
        if (bed !== undefined && spec.modified !== undefined) {
          yield* touch(
            LdapTestbed.manager(bed),
            spread(
              bed.employees.map((e) => e.dn),
              spec.modified
            )
          )
        }
        const input: ScenarioInput = {
          params: spec.params,
          users: spec.users,
          seed,
          ...(ldap === undefined ? {} : { ldap }),
          ...(emulator === undefined
            ? {}
            : {
                dfo: {
                  baseUrl: emulator.baseUrl,
                  apiKey: emulator.apiKey,
                  adminUrl: emulator.adminUrl
                }
              }),
          ...(spec.broker === true ? { broker: yield* broker } : {})
        }
        const output = yield* runChild(spec.name, input, childTimeout)
        return repetitionOf(spec, output, emulator?.stats().byMethod)
      })
    )

  const results: Array<ScenarioResult> = []
  const failures: Array<{ name: string; error: string }> = []
  for (const [index, spec] of specs.entries()) {
    const runs = repetitionsOf(spec, repetitions)
    say(`[${index + 1}/${specs.length}] ${spec.name}: ${spec.title}`)
    // Back to back with fresh backends each time (a change run changes DFØ); a failed
    // repetition fails the scenario, since a median of the ones that worked would hide it.
    const done: Array<Repetition> = []
    for (let run = 1; run <= runs; run++) {
      const exit = yield* Effect.exit(runOne(spec))
      if (Exit.isFailure(exit)) {
        const error = Cause.pretty(exit.cause).split("\n")[0] ?? "failed"
        failures.push({ name: spec.name, error: `run ${run} of ${runs}: ${error}` })
        say(`    ${run}/${runs} FAILED: ${error}`)
        break
      }
      const r = exit.value
      done.push(r)
      const dfo = r.dfoRequests === undefined ? "" : `, DFØ ${JSON.stringify(r.dfoRequests)}`
      say(
        `    ${run}/${runs}: ${(r.wallMs / 1000).toFixed(2)} s, CPU ${(r.cpuMs / 1000).toFixed(2)} s, ` +
          `peak RSS ${r.peakRssMb} MB${dfo}`
      )
    }
    if (done.length === runs) results.push(resultOf(spec, done))
  }

  const { ratios, targets, checks } = evaluate(sizes, results)
  const report: Report = {
    mode: quick ? "quick" : "full",
    machine,
    totalWallMs: Math.round(now() - started),
    repetitions,
    scenarios: results,
    ratios,
    targets,
    checks,
    failures
  }
  yield* Effect.promise(async () => {
    await mkdir(dirname(outFile), { recursive: true })
    await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`)
    // The doc shows complete full runs only; a quick or partial run is a local check.
    if (!quick && only === undefined && values.out === undefined) {
      const doc = await readFile(docFile, "utf8")
      await writeFile(docFile, replaceBetweenMarkers(doc, markdown(report)))
      say(`\nwrote ${relative(root, docFile)}`)
    }
  })
  say(`wrote ${outFile}`)
  for (const t of [...targets, ...checks]) {
    const status =
      t.status === "met" ? "met     " : t.status === "not met" ? "NOT MET " : "not run "
    say(`  ${status} ${t.name}: ${t.value ?? "–"} ${t.unit} (${t.comparison} ${t.limit ?? "?"})`)
  }
  if (failures.length > 0) process.exitCode = 1
})

const exit = await Effect.runPromiseExit(Effect.scoped(program))
if (Exit.isFailure(exit)) {
  process.stderr.write(`bench failed: ${Cause.pretty(exit.cause)}\n`)
  process.exitCode = 1
}
