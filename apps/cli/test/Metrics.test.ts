// The built CLI as a process over slapd and the DFØ emulator: the counts that explain a run
// in its summary table and summary log line, and `--metrics-file` for node_exporter.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { generateEmployees, LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { backendEnvironment, jsonLines, runCli } from "./CliProcess.js"
import { otlpReceiver, parsePrometheus, total } from "./telemetry.js"

const people = generateEmployees({ count: 30, seed: 12 })

const backends = Layer.mergeAll(
  LdapTestbed.layer({ users: people.length, seed: 12 }),
  DfoEmulator.layer({
    employees: people.flatMap((p) =>
      p.payrollId === undefined ? [] : [makeEmployee({ id: p.payrollId })]
    )
  })
)

const environment = backendEnvironment({ SAP_MAX_RETRIES: "3", SAP_RETRY_BASE_MS: "1" })

const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.promise(() => runCli(args, env))

/** The value of one row of the summary table, e.g. `DFØ retries` → `2`. */
const row = (stdout: string, name: string) => {
  const line = stdout.split("\n").find((l) => l.trimStart().startsWith(`${name}  `))
  assert.isDefined(line, `no "${name}" row in:\n${stdout}`)
  return (line ?? "").trim().slice(name.length).trim()
}

const spawnOrFail = (command: string, args: ReadonlyArray<string>) => {
  const result = spawnSync(command, args, { encoding: "utf8" })
  assert.strictEqual(result.status, 0, `${command} ${args.join(" ")}: ${result.stderr}`)
}

/**
 * A directory that takes no new file: immutable (`chattr +i`) as root, whom permissions do
 * not stop; read-only by its mode otherwise. Writable again before it is removed.
 */
const readOnlyDir = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "writeback-readonly-"))
    if (process.getuid?.() === 0) spawnOrFail("chattr", ["+i", dir])
    else fs.chmodSync(dir, 0o555)
    return dir
  }),
  (dir) =>
    Effect.sync(() => {
      if (process.getuid?.() === 0) spawnSync("chattr", ["-i", dir])
      else fs.chmodSync(dir, 0o755)
      fs.rmSync(dir, { recursive: true, force: true })
    })
)

const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "writeback-metrics-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

describe("the counts of a run (the CLI as a process)", () => {
  layer(backends, { timeout: "120 seconds", excludeTestServices: true })(
    "over slapd and DFØ with transient faults",
    (it) => {
      it.scoped(
        "the summary table and log line show DFØ requests, retries, 429s and skips by reason; --metrics-file holds the same",
        () =>
          Effect.gen(function* () {
            const { env, emulator } = yield* environment
            const dir = yield* tempDir
            const file = path.join(dir, "writeback.prom")
            // The bulk list gets 503, then 429, then the list: two retries.
            emulator.script(
              { method: "GET", status: 503, times: 1 },
              { method: "GET", status: 429, headers: { "retry-after": "0" }, times: 1 }
            )
            const receiver = yield* otlpReceiver
            const before = Date.now() / 1000
            const run = yield* cli(["run", "--process-all", "--metrics-file", file], {
              ...env,
              // The default protocol, http/protobuf.
              OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint
            })
            const after = Date.now() / 1000
            assert.strictEqual(run.code, 0, run.stderr)

            const log = emulator.log()
            const rateLimited = log.filter((entry) => entry.status === 429).length
            assert.strictEqual(rateLimited, 1)
            // The table: what the emulator saw.
            assert.strictEqual(row(run.stdout, "DFØ requests"), String(log.length))
            assert.strictEqual(row(run.stdout, "DFØ retries"), "2")
            assert.strictEqual(row(run.stdout, "DFØ 429 answers"), "1")
            // The summary log line carries the same counts, and skips by reason.
            const summary = jsonLines(run.stderr).find((line) => line["summary"] === true)
            assert.isDefined(summary, run.stderr)
            assert.strictEqual(summary?.["dfo_requests"], log.length)
            assert.strictEqual(summary?.["dfo_retries"], 2)
            assert.strictEqual(summary?.["dfo_rate_limited"], 1)
            const byReason = summary?.["skipped_by_reason"] as Record<string, number>
            const skipped = Number(summary?.["skipped"])
            assert.isAbove(skipped, 0, "the generated people include skipped entries")
            assert.strictEqual(
              Object.values(byReason).reduce((sum, n) => sum + n, 0),
              skipped
            )
            const reasons = Object.entries(byReason)
              .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
              .map(([reason, count]) => `${reason} ${count}`)
              .join(", ")
            assert.strictEqual(row(run.stdout, "skipped"), `${skipped} (${reasons})`)

            // The metrics file: written whole (no temporary file left), the same figures.
            assert.deepStrictEqual(fs.readdirSync(dir), ["writeback.prom"])
            const samples = parsePrometheus(fs.readFileSync(file, "utf8"))
            assert.strictEqual(
              total(samples, "dfo_writeback_runs_total", { kind: "all", result: "done" }),
              1
            )
            assert.strictEqual(
              total(samples, "dfo_writeback_users_total"),
              Number(summary?.["total"])
            )
            for (const [reason, count] of Object.entries(byReason)) {
              assert.strictEqual(
                total(samples, "dfo_writeback_users_total", { outcome: "SKIPPED", reason }),
                count,
                reason
              )
            }
            assert.strictEqual(
              total(samples, "dfo_writeback_users_total", { outcome: "UPDATED" }),
              Number(summary?.["updated"])
            )
            assert.strictEqual(total(samples, "dfo_writeback_dfo_requests_total"), log.length)
            assert.strictEqual(
              total(samples, "dfo_writeback_dfo_requests_total", { method: "GET", status: "503" }),
              1
            )
            assert.strictEqual(
              total(samples, "dfo_writeback_dfo_requests_total", { method: "GET", status: "429" }),
              1
            )
            assert.strictEqual(total(samples, "dfo_writeback_dfo_retries_total"), 2)
            assert.isAtLeast(
              total(samples, "dfo_writeback_ldap_search_duration_seconds_count", {
                operation: "page"
              }),
              1
            )
            // Every series an alert reads is there, zeros included (issue #20), and the last
            // full run's figures say how it ended.
            const series = (name: string, labels: Record<string, string>) =>
              samples.filter(
                (sample) =>
                  sample.name === name &&
                  Object.entries(labels).every(([key, value]) => sample.labels[key] === value)
              )
            for (const result of ["failed", "aborted", "cancelled", "user_failed"]) {
              assert.deepStrictEqual(
                series("dfo_writeback_runs_total", { kind: "all", result }).map((s) => s.value),
                result === "failed" ? [0, 0, 0, 0, 0, 0] : [0],
                result
              )
              assert.strictEqual(
                total(samples, "dfo_writeback_last_full_run_result", { result }),
                0,
                result
              )
            }
            assert.strictEqual(
              total(samples, "dfo_writeback_last_full_run_result", { result: "done" }),
              1
            )
            assert.strictEqual(
              series("dfo_writeback_run_aborts_total", { kind: "all", reason: "key_refused" })[0]
                ?.value,
              0
            )
            assert.strictEqual(
              series("dfo_writeback_users_total", {
                outcome: "FAILED",
                reason: "SAP_UPDATE_FAILED"
              })[0]?.value,
              0
            )
            assert.strictEqual(
              series("dfo_writeback_dfo_rate_limited_total", { method: "PUT" })[0]?.value,
              0
            )
            assert.strictEqual(
              total(samples, "dfo_writeback_last_full_run_users", { outcome: "UPDATED" }),
              Number(summary?.["updated"])
            )
            const last = total(samples, "dfo_writeback_last_successful_full_run_timestamp_seconds")
            assert.isAtLeast(last, Math.floor(before))
            assert.isAtMost(last, Math.ceil(after))

            // The process flushed its spans before it exited: the run, in one trace.
            const spans = receiver.spans()
            const runSpan = spans.find((span) => span.name === "Writeback.run")
            assert.isDefined(runSpan, receiver.requests().join("\n"))
            assert.strictEqual(runSpan?.service, "dfo-writeback")
            const byId = new Map(spans.map((span) => [span.spanId, span]))
            const list = spans.find((span) => span.name === "DfoEmployees.list")
            assert.strictEqual(list?.traceId, runSpan?.traceId)
            let ancestor = byId.get(list?.parentSpanId ?? "")
            while (ancestor !== undefined && ancestor !== runSpan) {
              ancestor = byId.get(ancestor.parentSpanId)
            }
            assert.strictEqual(ancestor, runSpan, "DfoEmployees.list runs inside Writeback.run")
            // A real full run pages once (check 6a needs no pass of its own): every page
            // belongs to the users' stream.
            const pageParents = new Set(
              spans
                .filter((span) => span.name === "PortalDirectory.page")
                .map((span) => byId.get(span.parentSpanId)?.name)
            )
            assert.deepStrictEqual([...pageParents], ["PortalDirectory.streamAll"])
            assert.strictEqual(
              spans.filter(
                (span) => span.name === "DfoEmployees.request" && span.parentSpanId === list?.spanId
              ).length,
              3
            )
            const logLines = jsonLines(run.stderr).filter((line) => line["run_id"] !== undefined)
            assert.isTrue(
              logLines.length > 0 && logLines.every((line) => line["trace_id"] === runSpan?.traceId)
            )

            // A failed night replaces the file, keeps the last good run's time and names why.
            const failed = yield* cli(["run", "--process-all", "--metrics-file", file], {
              ...env,
              PORTAL_LDAP_URL: "ldap://127.0.0.1:1",
              PORTAL_LDAP_CONNECT_TIMEOUT_MS: "2000"
            })
            assert.strictEqual(failed.code, 2, failed.stderr)
            assert.deepStrictEqual(fs.readdirSync(dir), ["writeback.prom"])
            const afterFailure = parsePrometheus(fs.readFileSync(file, "utf8"))
            assert.strictEqual(
              total(afterFailure, "dfo_writeback_runs_total", {
                kind: "all",
                result: "failed",
                code: "LDAP_CONNECTION_FAILED"
              }),
              1
            )
            assert.strictEqual(total(afterFailure, "dfo_writeback_runs_total"), 1)
            assert.strictEqual(
              total(afterFailure, "dfo_writeback_last_successful_full_run_timestamp_seconds"),
              last
            )
            assert.strictEqual(
              total(afterFailure, "dfo_writeback_last_full_run_result", { result: "failed" }),
              1
            )
            assert.strictEqual(
              total(afterFailure, "dfo_writeback_last_full_run_result", { result: "done" }),
              0
            )
          })
      )

      it.scoped(
        "a single-user, an incremental and a dry run leave the nightly's --metrics-file as it was, with a note",
        () =>
          Effect.gen(function* () {
            const { env } = yield* environment
            const dir = yield* tempDir
            const file = path.join(dir, "writeback.prom")
            const nightly = yield* cli(["run", "--process-all", "--metrics-file", file], env)
            assert.strictEqual(nightly.code, 0, nightly.stderr)
            const night = fs.readFileSync(file, "utf8")
            const username = people.find((p) => p.username !== undefined)?.username ?? ""
            const others = [
              ["run", "--key-field", "username", "--key-value", username],
              ["run", "--process-all", "--log-only"],
              ["run", "--process-all", "--changed-since", "15m"]
            ]
            for (const args of others) {
              const run = yield* cli([...args, "--metrics-file", file], env)
              assert.include([0, 1], run.code, run.stderr)
              assert.include(run.stderr, "--metrics-file ignored", args.join(" "))
              assert.strictEqual(fs.readFileSync(file, "utf8"), night, args.join(" "))
            }
            assert.deepStrictEqual(fs.readdirSync(dir), ["writeback.prom"])
          })
      )

      it.scoped(
        "--metrics-file naming a FIFO or a device node, or in a directory that takes no file: exit 2 before anything is read",
        () =>
          Effect.gen(function* () {
            const { env, emulator } = yield* environment
            const dir = yield* tempDir
            // A directory refused LDAP would fail the run after start-up with another code.
            const unreachable = { ...env, PORTAL_LDAP_URL: "ldap://127.0.0.1:1" }
            const fifo = path.join(dir, "fifo.prom")
            spawnOrFail("mkfifo", [fifo])
            const paths = [fifo]
            if (process.getuid?.() === 0) {
              // A node of its own, never the host's /dev/null.
              const device = path.join(dir, "null.prom")
              spawnOrFail("mknod", [device, "c", "1", "3"])
              paths.push(device)
            }
            const locked = yield* readOnlyDir
            for (const file of [...paths, path.join(locked, "writeback.prom")]) {
              const run = yield* cli(["run", "--process-all", "--metrics-file", file], unreachable)
              assert.strictEqual(run.code, 2, `${file}: ${run.stderr}`)
              assert.match(run.stderr, /invalid configuration/, file)
              assert.include(run.stderr, `--metrics-file ${file}`)
              assert.notInclude(run.stderr, "LDAP_CONNECTION_FAILED", file)
            }
            assert.isTrue(fs.lstatSync(fifo).isFIFO(), "the FIFO is still there")
            if (paths[1] !== undefined) assert.isTrue(fs.lstatSync(paths[1]).isCharacterDevice())
            assert.deepStrictEqual(fs.readdirSync(locked), [])
            assert.strictEqual(emulator.log().length, 0)
          })
      )

      it.scoped(
        "traces carry no personal values: no e-mail address, before or after value is exported",
        () =>
          Effect.gen(function* () {
            const { env, emulator } = yield* environment
            // Some employees already hold values, so the writes have a `before` too.
            const held = people.filter((p) => p.payrollId !== undefined).slice(0, 5)
            for (const [i, person] of held.entries()) {
              emulator.updateEmployee(person.payrollId ?? "", {
                epost: `old.address${i}@example.org`,
                eksternIdent: `old${i}@feide.example.org`
              })
            }
            // One write is refused with a faultText that quotes a value, as SAP may.
            const quoted = "refused.value@example.org"
            emulator.script({
              method: "PUT",
              status: 422,
              faultText: `epost ${quoted} er ugyldig`,
              times: 1
            })
            const receiver = yield* otlpReceiver
            const run = yield* cli(["run", "--process-all", "--json"], {
              ...env,
              OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint
            })
            assert.strictEqual(run.code, 1, run.stderr)
            assert.include(run.stdout, quoted)
            const values = new Set<string>([quoted])
            for (const event of jsonLines(run.stdout)) {
              const user = event["user"] as
                { changes?: ReadonlyArray<{ before?: string; after?: string }> } | undefined
              for (const change of user?.changes ?? []) {
                for (const value of [change.before, change.after]) {
                  if (value !== undefined && value !== "") values.add(value)
                }
              }
            }
            for (const person of people) {
              for (const value of [person.mail, person.workEmail, person.feideId]) {
                if (value !== undefined && value !== "") values.add(value)
              }
            }
            // The run wrote, and its audit lines hold the values (on stderr, as they must).
            assert.isTrue([...values].some((value) => value.startsWith("old.address")))
            assert.isTrue(
              jsonLines(run.stderr).some(
                (line) => line["audit"] === true && JSON.stringify(line).includes("@")
              )
            )
            const spans = receiver.spans()
            assert.isDefined(
              spans.find((span) => span.name === "Writeback.run"),
              receiver.requests().join("\n")
            )
            const exported = receiver.bodies().map((body) => body.toString("utf8"))
            assert.isAbove(exported.length, 0)
            for (const body of exported) {
              for (const value of values) assert.notInclude(body, value)
              assert.notMatch(body, /[\w.+-]+@[\w-]+\.[a-z]{2,}/i)
            }
          })
      )

      it.scoped(
        "a trace collector that refuses connections costs one warning line, and the run exits",
        () =>
          Effect.gen(function* () {
            const { env } = yield* environment
            const closed = yield* Effect.promise(
              () =>
                new Promise<number>((resolve) => {
                  const server = net.createServer()
                  server.listen(0, "127.0.0.1", () => {
                    const { port } = server.address() as net.AddressInfo
                    server.close(() => resolve(port))
                  })
                })
            )
            const run = yield* cli(["run", "--process-all"], {
              ...env,
              OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`
            })
            assert.strictEqual(run.code, 0, run.stderr)
            const warnings = jsonLines(run.stderr).filter((line) =>
              String(line["message"]).startsWith("trace export")
            )
            assert.strictEqual(warnings.length, 1, run.stderr)
            assert.strictEqual(warnings[0]?.["level"], "warn", run.stderr)
            assert.strictEqual(warnings[0]?.["collector"], `http://127.0.0.1:${closed}`)
          })
      )
    }
  )
})
