// The built CLI SIGKILLed in the middle of its writes, then run again until it converges.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import {
  type Employee as Person,
  generateEmployees,
  LdapTestbed
} from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { type Finished, jsonLines, runCli, startCli } from "./CliProcess.js"

const people = generateEmployees({ count: 150, seed: 9 })
const byIdautoId = new Map(people.map((p) => [p.idautoId, p]))

/** IAM's values: the first non-empty source of the default mapping (CONTRACT §1). */
const wanted = (person: Person) => ({
  eksternIdent: person.feideId ?? person.mail,
  epost: person.workEmail,
  brukerident: person.payrollId
})

/** The `audit` lines of a run's stderr (JSON logs), by phase. */
const auditLines = (stderr: string, phase: "intent" | "done") =>
  stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line["audit"] === true && line["audit_phase"] === phase)

const backends = Layer.mergeAll(
  LdapTestbed.layer({ users: people.length, seed: 9 }),
  // DFØ lacks all three identifiers for everyone: every eligible person needs a write.
  DfoEmulator.layer({
    employees: people.flatMap((p) =>
      p.payrollId === undefined
        ? []
        : [makeEmployee({ id: p.payrollId, eksternIdent: null, epost: "", brukerident: null })]
    )
  })
)

/** Killed once this many PUTs were answered: well inside the apply phase. */
const killAfter = 15

const summaryOf = (run: Finished) => {
  const last = jsonLines(run.stdout).at(-1)?.["summary"] as Record<string, unknown> | undefined
  assert.isDefined(last, run.stdout + run.stderr)
  const count = (name: string) => Number(last?.[name] ?? 0)
  return {
    total: count("total"),
    updated: count("updated"),
    wouldUpdate: count("wouldUpdate"),
    failed: count("updateFailed") + count("fetchFailed")
  }
}

const usersOf = (run: Finished) =>
  jsonLines(run.stdout).flatMap((line) =>
    line["user"] === undefined ? [] : [line["user"] as Record<string, string>]
  )

describe("writeback killed mid-run (the CLI as a process)", () => {
  layer(backends, { timeout: "120 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect("SIGKILL while writing, then two runs: converges, the third writes nothing", () =>
        Effect.gen(function* () {
          const testbed = yield* LdapTestbed.LdapTestbed
          const emulator = yield* DfoEmulator
          emulator.reset()
          const env = {
            ...testbed.environment,
            ...emulator.environment,
            SAP_MAX_RPS: "100000",
            SAP_CONCURRENCY: "4",
            SAP_WRITEBACK_BRUKERIDENT: "true",
            LOG_FORMAT: "json"
          }
          const args = ["run", "--process-all", "--json"]
          const patchesAnswered = () =>
            emulator.log().filter((e) => e.method === "PUT" && e.status === 200).length

          // Slow answers keep the process busy writing when the kill comes.
          emulator.setFaults({ latencyMs: 30 })
          const first = startCli(args, env)
          emulator.setHooks({
            afterResponse: (request) => {
              if (request.method === "PUT" && !first.child.killed) {
                if (patchesAnswered() >= killAfter) first.child.kill("SIGKILL")
              }
            }
          })
          const killed = yield* Effect.promise(() => first.finished)
          emulator.setHooks({ afterResponse: undefined })
          emulator.setFaults({ latencyMs: 0 })
          assert.strictEqual(killed.signal, "SIGKILL", killed.stderr)
          const writtenBeforeKill = patchesAnswered()
          assert.isAtLeast(writtenBeforeKill, killAfter)
          // Every write that reached DFØ before the kill has its intent line, logged before
          // the request went out (CONTRACT §4 step 10): none is lost with the process.
          const putsBeforeKill = emulator
            .log()
            .filter((e) => e.method === "PUT")
            .map((e) => e.path.split("/").pop() ?? "")
          const intents = auditLines(killed.stderr, "intent").map((l) => String(l["sap_id"]))
          assert.includeMembers(intents, putsBeforeKill)

          const second = yield* Effect.promise(() => runCli(args, env))
          assert.strictEqual(second.code, 0, second.stderr)
          const converging = summaryOf(second)
          assert.strictEqual(converging.failed, 0)
          // The kill came mid-run: the second run still had writing to do.
          assert.isAbove(converging.updated, 0)

          const third = yield* Effect.promise(() => runCli(args, env))
          assert.strictEqual(third.code, 0, third.stderr)
          const settled = summaryOf(third)
          assert.deepStrictEqual(
            { total: settled.total, updated: settled.updated, wouldUpdate: settled.wouldUpdate },
            { total: people.length, updated: 0, wouldUpdate: 0 }
          )
          const results = usersOf(third)
          assert.strictEqual(results.length, people.length)
          assert.isTrue(
            results.every(
              (u) => u["outcome"] === "OUTCOME_UNCHANGED" || u["outcome"] === "OUTCOME_SKIPPED"
            )
          )
          // Everyone DFØ now agrees with holds IAM's values, and they are the ones written.
          const unchanged = results.filter((u) => u["outcome"] === "OUTCOME_UNCHANGED")
          const written = new Set(
            emulator
              .log()
              .filter((e) => e.method === "PUT" && e.status === 200)
              .map((e) => e.path.split("/").pop())
          )
          assert.sameMembers(
            unchanged.map((u) => u["sapId"]),
            [...written]
          )
          const wrong = unchanged.flatMap((u) => {
            const person = byIdautoId.get(u["idautoId"] ?? "")
            const held = emulator.employee(u["sapId"] ?? "")
            if (person === undefined || held === undefined) return [`unknown user ${u["sapId"]}`]
            const values = wanted(person)
            return (["eksternIdent", "epost", "brukerident"] as const).flatMap((field) =>
              held[field] === values[field]
                ? []
                : [`${u["sapId"]} ${field}: "${String(held[field])}" ≠ "${values[field]}"`]
            )
          })
          assert.deepStrictEqual(wrong, [])
          // No PUT of any of the three runs carried a value IAM does not have.
          const byPayrollId = new Map(people.map((p) => [p.payrollId, p]))
          const wrongPatches = emulator
            .log()
            .filter((e) => e.method === "PUT")
            .flatMap((e) => {
              const person = byPayrollId.get(e.path.split("/").pop())
              const body = e.body as Record<string, unknown>
              if (person === undefined) return [`PUT to ${e.path}`]
              const values = wanted(person)
              return Object.entries(body).flatMap(([field, value]) =>
                value === values[field as keyof typeof values] ? [] : [`${e.path} ${field}`]
              )
            })
          assert.deepStrictEqual(wrongPatches, [])
        })
      )
    }
  )
})
