// The built CLI as a process over slapd and the DFØ emulator: the counts that explain a run
// in its summary table and summary log line, and `--metrics-file` for node_exporter.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { generateEmployees, LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Backends from "./Backends.js"
import { jsonLines, runCli } from "./CliProcess.js"
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

const environment = Backends.environment({ SAP_MAX_RETRIES: "3", SAP_RETRY_BASE_MS: "1" })

const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.promise(() => runCli(args, env))

/** The value of one row of the summary table, e.g. `DFØ retries` → `2`. */
const row = (stdout: string, name: string) => {
  const line = stdout.split("\n").find((l) => l.trimStart().startsWith(`${name}  `))
  assert.isDefined(line, `no "${name}" row in:\n${stdout}`)
  return (line ?? "").trim().slice(name.length).trim()
}

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
            // A full run pages twice: the employee ids (who claims which DFØ record), then
            // the users; every page belongs to its stream.
            const pageParents = new Set(
              spans
                .filter((span) => span.name === "PortalDirectory.page")
                .map((span) => byId.get(span.parentSpanId)?.name)
            )
            assert.deepStrictEqual([...pageParents].sort(), [
              "PortalDirectory.streamAll",
              "PortalDirectory.streamEmployeeIds"
            ])
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
          })
      )
    }
  )
})
