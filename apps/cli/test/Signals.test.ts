// The built CLI as a process, stopped by SIGTERM or SIGINT in the middle of its writes.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { generateEmployees, LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { jsonLines, startCli } from "./CliProcess.js"

const people = generateEmployees({ count: 80, seed: 21 })

const backends = Layer.mergeAll(
  LdapTestbed.layer({ users: people.length, seed: 21 }),
  // DFØ lacks every identifier: each eligible person needs a write.
  DfoEmulator.layer({
    employees: people.flatMap((p) =>
      p.payrollId === undefined
        ? []
        : [makeEmployee({ id: p.payrollId, eksternIdent: null, epost: "", brukerident: null })]
    )
  })
)

const isWrite = (method: string) => method === "PUT" || method === "PATCH"

/** The employee ids of a run's `audit` lines of one phase (JSON logs on stderr). */
const audited = (stderr: string, phase: "intent" | "done") =>
  stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line["audit"] === true && line["audit_phase"] === phase)

const idOf = (path: string) => path.split("/").pop() ?? ""

/** The signal is sent when this many writes have reached DFØ: well inside the writing. */
const signalAtWrite = 6

describe("writeback stopped by a signal (the CLI as a process)", () => {
  layer(backends, { timeout: "180 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      const stopped = (
        signal: "SIGTERM" | "SIGINT",
        args: ReadonlyArray<string>,
        times: 1 | 2 = 1
      ) =>
        Effect.gen(function* () {
          const testbed = yield* LdapTestbed.LdapTestbed
          const emulator = yield* DfoEmulator
          emulator.reset()
          // Slow answers: when the signal comes, writes are on their way to DFØ.
          emulator.setFaults({ latencyMs: 300 })
          const run = startCli(["run", "--process-all", ...args], {
            ...testbed.environment,
            ...emulator.environment,
            SAP_MAX_RPS: "100000",
            SAP_CONCURRENCY: "4",
            LOG_FORMAT: "json"
          })
          let writes = 0
          emulator.setHooks({
            onRequest: (request) => {
              if (!isWrite(request.method)) return undefined
              writes += 1
              if (writes === signalAtWrite) {
                run.child.kill(signal)
                // The second once the CLI has taken the first (sent together, the kernel may
                // merge them into one), while the writes from here on are held in flight.
                if (times === 2) {
                  const second = setInterval(() => {
                    void run.stderr().then((text) => {
                      if (!text.includes(`a second ${signal} cuts them`)) return
                      clearInterval(second)
                      run.child.kill(signal)
                    })
                  }, 20)
                }
              }
              if (times === 1 || writes < signalAtWrite) return undefined
              return new Promise<undefined>((resolve) =>
                setTimeout(() => resolve(undefined), 5_000)
              )
            }
          })
          const finished = yield* Effect.promise(() => run.finished)
          emulator.setHooks({ onRequest: undefined })
          emulator.setFaults({ latencyMs: 0 })
          // Read only after the process has exited: every request it made is over.
          const written = emulator.log().filter((entry) => isWrite(entry.method))
          return { finished, written, requests: () => emulator.log() }
        })

      it.effect("SIGTERM: in-flight writes finish, the summary says interrupted, exit 143", () =>
        Effect.gen(function* () {
          const { finished, written } = yield* stopped("SIGTERM", ["--json"])
          assert.strictEqual(finished.code, 143, finished.stderr)
          const summary = jsonLines(finished.stdout).at(-1)?.["summary"] as
            Record<string, unknown> | undefined
          assert.isDefined(summary, finished.stdout)
          assert.strictEqual(summary?.["aborted"], true)
          assert.strictEqual(summary?.["abortReason"], "interrupted")
          // It stopped starting users: far from everyone was written.
          assert.isAtLeast(written.length, signalAtWrite)
          assert.isBelow(written.length, people.length / 2)
          // Every write that reached DFØ was answered; none was cut off mid-request.
          assert.deepStrictEqual(
            written.filter((entry) => entry.status === undefined || entry.aborted),
            []
          )
          assert.strictEqual(Number(summary?.["updated"]), written.length)
          // Every write DFØ applied has its intent line before it and a done line after it.
          const ids = written.map((entry) => idOf(entry.path))
          assert.sameMembers(
            audited(finished.stderr, "intent").map((line) => String(line["sap_id"])),
            ids
          )
          const done = audited(finished.stderr, "done")
          assert.sameMembers(
            done.map((line) => String(line["sap_id"])),
            ids
          )
          assert.isTrue(done.every((line) => line["result"] === "written"))
        })
      )

      it.effect("SIGINT: the human summary table shows the abort, exit 130", () =>
        Effect.gen(function* () {
          const { finished, written } = yield* stopped("SIGINT", [])
          assert.strictEqual(finished.code, 130, finished.stderr)
          assert.match(finished.stdout, /ABORTED\s+interrupted/)
          assert.deepStrictEqual(
            written.filter((entry) => entry.status === undefined || entry.aborted),
            []
          )
        })
      )

      it.effect(
        "a second signal stops at once: the cut writes are listed, counted, and DFØ's requests too",
        () =>
          Effect.gen(function* () {
            const { finished, written, requests } = yield* stopped("SIGTERM", ["--json"], 2)
            assert.strictEqual(finished.code, 143, finished.stderr)
            // Writes cut off mid-request may have been applied: each still has its intent
            // line, and its done line says `unknown`, never nothing.
            const ids = written.map((entry) => idOf(entry.path))
            assert.includeMembers(
              audited(finished.stderr, "intent").map((line) => String(line["sap_id"])),
              ids
            )
            const done = audited(finished.stderr, "done")
            assert.includeMembers(
              done.map((line) => String(line["sap_id"])),
              ids
            )
            const summary = jsonLines(finished.stdout).at(-1)?.["summary"] as
              Record<string, unknown> | undefined
            assert.strictEqual(summary?.["aborted"], true, finished.stdout)
            assert.match(String(summary?.["abortReason"]), /^interrupted/)

            // Every write DFØ received without a `written` done line is listed on stderr
            // and in the log as "outcome unknown, check DFØ", and counted as failed.
            const confirmed = new Set(
              done.filter((line) => line["result"] === "written").map((l) => String(l["sap_id"]))
            )
            const listed = finished.stderr.split("\n").flatMap((line) => {
              const match = /^writeback: outcome unknown, check DFØ: employee (\d+) /.exec(line)
              return match?.[1] === undefined ? [] : [match[1]]
            })
            assert.isAbove(listed.length, 0, finished.stderr)
            assert.includeMembers(
              listed,
              ids.filter((id) => !confirmed.has(id))
            )
            const logged = finished.stderr
              .split("\n")
              .filter((line) => line.startsWith("{"))
              .map((line) => JSON.parse(line) as Record<string, unknown>)
              .filter((line) => line["outcome_unknown"] === true)
              .map((line) => String(line["sap_id"]))
            assert.sameMembers(logged, listed)
            assert.strictEqual(Number(summary?.["updateFailed"]), listed.length)
            assert.include(String(summary?.["abortReason"]), `${listed.length} write`)
            assert.strictEqual(Number(summary?.["updated"]), confirmed.size)
            // The summary counts what DFØ was asked, cut requests included (it said 0).
            yield* Effect.sleep("200 millis")
            assert.strictEqual(Number(summary?.["dfoRequests"]), requests().length)
          })
      )
    }
  )
})
