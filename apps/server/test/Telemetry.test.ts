// The real server process over slapd and the DFØ emulator: what `/metrics` on METRICS_LISTEN
// shows after runs over gRPC, and the spans an OTLP/HTTP receiver gets from the same runs.
import {
  KeyField,
  Outcome,
  SkipReason,
  ErrorCode,
  type WritebackEvent,
  WritebackService
} from "@dfo-writeback/contract"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as net from "node:net"
import * as Fixture from "./utils/fixture.js"
import { client, writeback } from "./utils/grpc.js"
import * as ServerProcess from "./utils/ServerProcess.js"
import { get, otlpReceiver, type OtlpSpan, parsePrometheus, total } from "./utils/telemetry.js"

const users = (events: ReadonlyArray<WritebackEvent>) =>
  events.flatMap((event) => (event.event.case === "user" ? [event.event.value] : []))

const summaryOf = (events: ReadonlyArray<WritebackEvent>) => {
  const last = events.at(-1)?.event
  assert(last?.case === "summary", `the last event is not a summary: ${last?.case}`)
  return last.value
}

/** The label a user result gets: SKIPPED by reason, FAILED by error code. */
const labelsOf = (user: ReturnType<typeof users>[number]) => {
  const outcome = Outcome[user.outcome]
  if (user.outcome === Outcome.SKIPPED) return { outcome, reason: SkipReason[user.skipReason] }
  if (user.outcome === Outcome.FAILED) return { outcome, reason: ErrorCode[user.errorCode] }
  return { outcome }
}

/**
 * The server process over the backends with METRICS_LISTEN and an OTLP/HTTP JSON receiver,
 * stopped with the scope.
 */
const observedServer = (extra: Readonly<Record<string, string>>) =>
  Effect.gen(function* () {
    const { testbed, emulator } = yield* Fixture.backends
    const receiver = yield* otlpReceiver
    const server = yield* Effect.promise(() =>
      ServerProcess.start(
        Fixture.serverEnv(testbed, emulator, {
          METRICS_LISTEN: "127.0.0.1:0",
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
          ...extra
        })
      )
    )
    yield* Effect.addFinalizer(() => Effect.promise(() => server.stop()))
    const listening = server.logs().find((line) => line["message"] === "metrics listening")
    assert.isDefined(listening, server.output())
    return {
      emulator,
      receiver,
      server,
      metricsUrl: `http://${String(listening?.["address"])}/metrics`
    }
  })

describe("telemetry of the server process", () => {
  it.scoped(
    "a bad METRICS_LISTEN or OTLP protocol, or a metrics port in use, stops start-up (exit 2)",
    () =>
      Effect.gen(function* () {
        const { testbed, emulator } = yield* Fixture.backends
        const invalid = yield* Effect.promise(() =>
          ServerProcess.runToExit(
            Fixture.serverEnv(testbed, emulator, {
              METRICS_LISTEN: "everywhere",
              OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4317",
              OTEL_EXPORTER_OTLP_PROTOCOL: "grpc"
            })
          )
        )
        assert.strictEqual(invalid.code, 2, invalid.output)
        const problems = invalid.logs.filter((line) => line["level"] === "error")
        assert.strictEqual(problems.length, 1, invalid.output)
        assert.match(String(problems[0]?.["message"]), /METRICS_LISTEN must be host:port/)
        assert.match(String(problems[0]?.["message"]), /OTEL_EXPORTER_OTLP_PROTOCOL must be/)

        const taken = yield* Effect.acquireRelease(
          Effect.async<net.Server>((resume) => {
            const server = net.createServer()
            server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
          }),
          (server) => Effect.sync(() => void server.close())
        )
        const port = (taken.address() as net.AddressInfo).port
        const inUse = yield* Effect.promise(() =>
          ServerProcess.runToExit(
            Fixture.serverEnv(testbed, emulator, { METRICS_LISTEN: `127.0.0.1:${port}` })
          )
        )
        assert.strictEqual(inUse.code, 2, inUse.output)
        assert.match(inUse.output, new RegExp(`cannot serve metrics on 127\\.0\\.0\\.1:${port}`))
      }),
    { timeout: 60_000 }
  )

  it.scoped(
    "METRICS_LISTEN serves /metrics; OTEL_EXPORTER_OTLP_ENDPOINT exports the runs' spans",
    () =>
      Effect.gen(function* () {
        const { emulator, receiver, server, metricsUrl } = yield* observedServer({
          OTEL_SERVICE_NAME: "writeback-under-test",
          SAP_MAX_RETRIES: "2",
          SAP_RETRY_BASE_MS: "1"
        })

        // The gateway answers the bulk list 503, then 429, then the list: two retries.
        emulator.script(
          { method: "GET", status: 503, times: 1 },
          { method: "GET", status: 429, headers: { "retry-after": "0" }, times: 1 }
        )
        const c = yield* client(WritebackService, server.address)
        const before = Date.now() / 1000
        const full = yield* writeback(c, { processAll: true })
        assert.isUndefined(full.error, server.output())
        const after = Date.now() / 1000
        const single = yield* writeback(c, {
          keyField: KeyField.USERNAME,
          keyValue: Fixture.alice.username,
          logOnly: true
        })
        assert.isUndefined(single.error, server.output())
        const missing = yield* writeback(c, {
          keyField: KeyField.USERNAME,
          keyValue: "nobody-has-this-name"
        })
        assert.isDefined(missing.error)

        const scrape = yield* get(metricsUrl)
        assert.strictEqual(scrape.status, 200)
        assert.include(scrape.contentType, "text/plain")
        assert.include(scrape.contentType, "version=0.0.4")
        const samples = parsePrometheus(scrape.body)

        // Runs by kind and result; a failed run names its code.
        const fullSummary = summaryOf(full.events)
        const fullResult = users(full.events).some((u) => u.outcome === Outcome.FAILED)
          ? "user_failed"
          : "done"
        assert.strictEqual(fullSummary.aborted, false)
        assert.strictEqual(
          total(samples, "dfo_writeback_runs_total", { kind: "all", result: fullResult }),
          1,
          scrape.body
        )
        assert.strictEqual(
          total(samples, "dfo_writeback_runs_total", { kind: "single", result: "done" }),
          1
        )
        assert.strictEqual(
          total(samples, "dfo_writeback_runs_total", {
            kind: "single",
            result: "failed",
            code: "NOT_FOUND"
          }),
          1
        )
        assert.strictEqual(total(samples, "dfo_writeback_runs_total"), 3)
        assert.strictEqual(total(samples, "dfo_writeback_run_duration_seconds_count"), 3)

        // Users by outcome and reason: exactly what the two runs' results said.
        const results = [...users(full.events), ...users(single.events)]
        assert.strictEqual(results.length, Fixture.directorySize + 1)
        assert.strictEqual(total(samples, "dfo_writeback_users_total"), results.length)
        const expected = new Map<string, { labels: Record<string, string>; count: number }>()
        for (const result of results) {
          const labels = labelsOf(result)
          const key = JSON.stringify(labels)
          const entry = expected.get(key) ?? { labels, count: 0 }
          expected.set(key, { labels, count: entry.count + 1 })
        }
        assert.isAbove(expected.size, 2, "the fixture should give several outcomes and reasons")
        for (const { labels, count } of expected.values()) {
          const exact = samples.filter(
            (s) =>
              s.name === "dfo_writeback_users_total" &&
              JSON.stringify(s.labels) === JSON.stringify(labels)
          )
          assert.strictEqual(exact.length, 1, `one series for ${JSON.stringify(labels)}`)
          assert.strictEqual(exact[0]?.value, count, JSON.stringify(labels))
        }

        // DFØ requests by method and status: exactly what the emulator received.
        const log = emulator.log()
        assert.isAbove(log.length, 3)
        const byMethodStatus = new Map<string, number>()
        for (const entry of log) {
          const key = `${entry.method} ${entry.status}`
          byMethodStatus.set(key, (byMethodStatus.get(key) ?? 0) + 1)
        }
        for (const [key, count] of byMethodStatus) {
          const [method = "", status = ""] = key.split(" ")
          assert.strictEqual(
            total(samples, "dfo_writeback_dfo_requests_total", { method, status }),
            count,
            key
          )
        }
        assert.strictEqual(total(samples, "dfo_writeback_dfo_requests_total"), log.length)
        assert.strictEqual(total(samples, "dfo_writeback_dfo_requests_total", { status: "429" }), 1)
        assert.strictEqual(total(samples, "dfo_writeback_dfo_retries_total", { method: "GET" }), 2)
        assert.strictEqual(fullSummary.dfoRetries, 2)
        assert.strictEqual(fullSummary.dfoRateLimited, 1)
        assert.strictEqual(
          total(samples, "dfo_writeback_dfo_request_duration_seconds_count"),
          log.length
        )
        const inf = samples.filter(
          (s) =>
            s.name === "dfo_writeback_dfo_request_duration_seconds_bucket" &&
            s.labels["le"] === "+Inf"
        )
        assert.strictEqual(
          inf.reduce((sum, s) => sum + s.value, 0),
          log.length
        )

        // LDAP: the full run's pages and the single runs' lookups were timed.
        assert.isAtLeast(
          total(samples, "dfo_writeback_ldap_search_duration_seconds_count", { operation: "page" }),
          1
        )
        assert.isAtLeast(
          total(samples, "dfo_writeback_ldap_search_duration_seconds_count", {
            operation: "lookup"
          }),
          2
        )

        // The last successful full run: set by the full run, not by the dry single run.
        const last = total(samples, "dfo_writeback_last_successful_full_run_timestamp_seconds")
        assert.isAtLeast(last, Math.floor(before))
        assert.isAtMost(last, Math.ceil(after))

        assert.strictEqual((yield* get(metricsUrl.replace("/metrics", "/other"))).status, 404)

        // Stopping the server flushes the spans still batched.
        assert.strictEqual(yield* Effect.promise(() => server.stop()), 0)
        const spans = receiver.spans()
        assert.isAbove(spans.length, 0, receiver.requests().join("\n"))
        assert.isTrue(
          spans.every((s) => s.service === "writeback-under-test"),
          "service.name"
        )
        const byId = new Map(spans.map((s) => [s.spanId, s]))
        const ancestors = (span: OtlpSpan): ReadonlyArray<string> => {
          const names: Array<string> = []
          let parent = span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId)
          while (parent !== undefined) {
            names.push(parent.name)
            parent = parent.parentSpanId === undefined ? undefined : byId.get(parent.parentSpanId)
          }
          return names
        }
        const attribute = (span: OtlpSpan, key: string) =>
          span.attributes?.find((a) => a.key === key)?.value
        const runSpans = spans.filter((s) => s.name === "Writeback.run")
        assert.strictEqual(runSpans.length, 3, spans.map((s) => s.name).join(", "))
        const fullSpan = runSpans.find((s) => attribute(s, "process_all")?.["boolValue"] === true)
        assert.isDefined(fullSpan)
        if (fullSpan === undefined) return
        assert.strictEqual(attribute(fullSpan, "run_id")?.["stringValue"], fullSummary.runId)
        // The run is a child of the gRPC call's span; pages, DFØ calls and their HTTP
        // attempts are descendants of the run, in its trace.
        assert.strictEqual(
          byId.get(fullSpan.parentSpanId ?? "")?.name,
          "WritebackService.Writeback"
        )
        const inRun = spans.filter(
          (s) => s.traceId === fullSpan.traceId && ancestors(s).includes("Writeback.run")
        )
        const names = new Set(inRun.map((s) => s.name))
        for (const name of [
          "PortalDirectory.streamAll",
          "PortalDirectory.page",
          "PortalDirectory.connect",
          "DfoEmployees.list",
          "DfoEmployees.request"
        ]) {
          assert.isTrue(names.has(name), `${name} in the run's trace: ${[...names].join(", ")}`)
        }
        // A real full run pages once (check 6a needs no pass of its own): every page
        // belongs to the users' stream.
        const pageParents = new Set(
          inRun
            .filter((s) => s.name === "PortalDirectory.page")
            .map((s) => byId.get(s.parentSpanId ?? "")?.name)
        )
        assert.deepStrictEqual([...pageParents], ["PortalDirectory.streamAll"])
        const listAttempts = inRun
          .filter(
            (s) =>
              s.name === "DfoEmployees.request" &&
              byId.get(s.parentSpanId ?? "")?.name === "DfoEmployees.list"
          )
          .sort((a, b) => Number(BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano)))
        assert.deepStrictEqual(
          listAttempts.map((s) => attribute(s, "http.response.status_code")?.["stringValue"]),
          ["503", "429", "200"]
        )
        const singleSpan = runSpans.find((s) => attribute(s, "log_only")?.["boolValue"] === true)
        const singleNames = spans
          .filter((s) => s.traceId === singleSpan?.traceId)
          .map((s) => s.name)
        assert.includeMembers(singleNames, [
          "PortalDirectory.findByKey",
          "PortalDirectory.search",
          "DfoEmployees.get"
        ])
        // Made with `useSpan` (no current-span switch), they still sit where they belong.
        const parentOf = (name: string) => {
          const span = spans.find((s) => s.traceId === singleSpan?.traceId && s.name === name)
          return span === undefined ? [] : ancestors(span)
        }
        assert.strictEqual(parentOf("PortalDirectory.search")[0], "PortalDirectory.findByKey")
        assert.include(parentOf("PortalDirectory.findByKey"), "Writeback.run")
        assert.include(parentOf("DfoEmployees.get"), "Writeback.run")

        // The run's own log lines (not the call log, written after the call) carry its trace id.
        const runLogs = server
          .logs()
          .filter((line) => line["run_id"] === fullSummary.runId && line["message"] !== "call")
        assert.includeMembers(
          runLogs.map((line) => line["message"]),
          ["run started", "audit", "run finished"]
        )
        for (const line of runLogs) {
          assert.strictEqual(line["trace_id"], fullSpan.traceId, String(line["message"]))
        }
      }),
    { timeout: 120_000 }
  )

  it.scoped(
    "every series an alert reads is at 0 from start-up, so a first refused key is 0 → 1; health checks make no spans",
    () =>
      Effect.gen(function* () {
        const { emulator, receiver, server, metricsUrl } = yield* observedServer({
          // Many health checks while the server runs: none may make a span.
          GRPC_HEALTH_CHECK_INTERVAL_MS: "100"
        })
        /** A series without a `code` label, as an alert selects it. */
        const sample = (
          samples: ReturnType<typeof parsePrometheus>,
          name: string,
          labels: Readonly<Record<string, string>>
        ) =>
          samples.find(
            (s) =>
              s.name === name &&
              s.labels["code"] === undefined &&
              Object.entries(labels).every(([key, value]) => s.labels[key] === value)
          )?.value
        const alerted = [
          ["dfo_writeback_runs_total", { kind: "single", result: "aborted" }],
          ["dfo_writeback_runs_total", { kind: "all", result: "failed" }],
          ["dfo_writeback_run_aborts_total", { kind: "single", reason: "key_refused" }],
          ["dfo_writeback_users_total", { outcome: "FAILED", reason: "SAP_FETCH_FAILED" }],
          ["dfo_writeback_last_full_run_result", { result: "failed" }],
          ["dfo_writeback_dfo_rate_limited_total", { method: "GET" }]
        ] as const
        const fresh = parsePrometheus((yield* get(metricsUrl)).body)
        for (const [name, labels] of alerted) {
          assert.strictEqual(sample(fresh, name, labels), 0, `${name} ${JSON.stringify(labels)}`)
        }

        // DFØ's gateway refuses the key on alice's read: the run aborts.
        emulator.script({ method: "GET", path: `/${Fixture.alice.sapId}`, status: 401, times: 1 })
        const c = yield* client(WritebackService, server.address)
        const refused = yield* writeback(c, {
          keyField: KeyField.USERNAME,
          keyValue: Fixture.alice.username
        })
        assert.isTrue(summaryOf(refused.events).aborted, server.output())
        const after = parsePrometheus((yield* get(metricsUrl)).body)
        const labels = { kind: "single", result: "aborted" }
        assert.strictEqual(sample(after, "dfo_writeback_runs_total", labels), 1)
        assert.strictEqual(
          sample(after, "dfo_writeback_run_aborts_total", {
            kind: "single",
            reason: "key_refused"
          }),
          1
        )
        // A single-user run never moves the full-run figures.
        assert.strictEqual(
          sample(after, "dfo_writeback_last_full_run_result", { result: "aborted" }),
          0
        )

        assert.strictEqual(yield* Effect.promise(() => server.stop()), 0)
        const names = new Set(receiver.spans().map((span) => span.name))
        assert.isTrue(names.has("Writeback.run"), [...names].join(", "))
        for (const name of ["HealthMonitor.check", "PortalDirectory.check", "DfoEmployees.probe"]) {
          assert.isFalse(names.has(name), `${name} exported: ${[...names].join(", ")}`)
        }
      }),
    { timeout: 120_000 }
  )
})
