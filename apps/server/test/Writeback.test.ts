import { KeyField, Outcome, type WritebackEvent, WritebackService } from "@dfo-writeback/contract"
import { assert, layer } from "@effect/vitest"
import { status } from "@grpc/grpc-js"
import { Effect } from "effect"
import * as Fixture from "./utils/fixture.js"
import { client, eventually, kinds, start, type WritebackClient, writeback } from "./utils/grpc.js"

const single = { keyField: KeyField.USERNAME, keyValue: Fixture.alice.username }
const fullRun = { processAll: true }

const summaryOf = (events: ReadonlyArray<WritebackEvent>) => {
  const last = events.at(-1)?.event
  assert(last?.case === "summary", `the last event is not a summary: ${last?.case}`)
  return last.value
}

const patches = (fixture: Fixture.Fixture) =>
  fixture.emulator.log().filter((entry) => entry.method === "PUT")

/** Waits for the server's log line of the run's end (a cut-short run logs "run cancelled"). */
const runEnded = (fixture: Fixture.Fixture, runId: string) =>
  eventually(
    () =>
      fixture.server
        .logs()
        .some(
          (line) => line["run_id"] === runId && String(line["message"]).startsWith("run cancelled")
        ),
    `the end of run ${runId} in the log`
  )

/** Each test starts from the seeded DFØ data, no faults and an empty request log. */
const setup = Effect.gen(function* () {
  const fixture = yield* Fixture.Services
  fixture.emulator.reset()
  const c: WritebackClient = yield* client(WritebackService, fixture.server.address)
  return { ...fixture, client: c }
})

layer(Fixture.layer({ SAP_ABORT_AFTER_CONSECUTIVE_FAILURES: "3" }), {
  excludeTestServices: true,
  timeout: "60 seconds"
})("Writeback over gRPC", (it) => {
  it.scoped("streams a single-user call's events in order, with its run id as a header", () =>
    Effect.gen(function* () {
      const fixture = yield* setup
      const { emulator, server } = fixture
      const answer = yield* writeback(fixture.client, single)
      assert.isUndefined(answer.error)
      assert.deepStrictEqual(kinds(answer), ["started", "user", "summary"])
      const [started, user] = answer.events.map((event) => event.event)
      assert(started?.case === "started" && user?.case === "user")
      assert.strictEqual(started.value.processAll, false)
      assert.strictEqual(user.value.username, Fixture.alice.username)
      assert.strictEqual(user.value.sapId, Fixture.alice.sapId)
      assert.strictEqual(user.value.outcome, Outcome.UPDATED)
      assert.deepStrictEqual(
        user.value.changes.map((change) => [change.field, change.before, change.after]).sort(),
        [
          ["eksternIdent", "old@uni.no", Fixture.alice.feideId],
          ["epost", "old@uni.no", Fixture.alice.mail]
        ]
      )
      const summary = summaryOf(answer.events)
      assert.strictEqual(summary.runId, started.value.runId)
      assert.strictEqual(summary.total, 1)
      assert.strictEqual(summary.updated, 1)
      assert.deepStrictEqual(answer.headers?.get("run-id"), [started.value.runId])
      assert.deepStrictEqual(
        patches(fixture).map((entry) => entry.path),
        [`${emulator.basePath}/${Fixture.alice.sapId}`]
      )

      // One log line for the call, carrying its status and run id.
      yield* eventually(
        () =>
          server
            .logs()
            .some((line) => line["run_id"] === started.value.runId && line["message"] === "call"),
        "the call's log line"
      )
      const callLines = server
        .logs()
        .filter((line) => line["message"] === "call" && line["run_id"] === started.value.runId)
      assert.strictEqual(callLines.length, 1)
      assert.strictEqual(callLines[0]?.["method"], "/dfo.writeback.v1.WritebackService/Writeback")
      assert.strictEqual(callLines[0]?.["status"], "OK")
      assert.isNumber(callLines[0]?.["duration_ms"])
      assert.match(String(callLines[0]?.["peer"]), /^127\.0\.0\.1:\d+$/)
    })
  )

  it.scoped("streams every user of a full run, then the summary", () =>
    Effect.gen(function* () {
      const fixture = yield* setup
      const answer = yield* writeback(fixture.client, { ...fullRun, logOnly: true })
      assert.isUndefined(answer.error)
      const found = kinds(answer)
      assert.strictEqual(found[0], "started")
      assert.strictEqual(found.at(-1), "summary")
      assert.deepStrictEqual(
        found.slice(1, -1),
        Array.from({ length: Fixture.directorySize }, () => "user")
      )
      const summary = summaryOf(answer.events)
      assert.strictEqual(summary.total, Fixture.directorySize)
      assert.isTrue(summary.logOnly)
      assert.isFalse(summary.aborted)
      assert.isAbove(summary.wouldUpdate, 0)
      assert.strictEqual(
        summary.skipped + summary.unchanged + summary.wouldUpdate + summary.fetchFailed,
        summary.total
      )
      assert.deepStrictEqual(patches(fixture), [])
    })
  )

  it.scoped("answers INVALID_ARGUMENT to malformed requests, reading and writing nothing", () =>
    Effect.gen(function* () {
      const fixture = yield* setup
      const malformed = [
        {},
        { ...single, processAll: true },
        { keyField: KeyField.USERNAME, keyValue: "" },
        { keyField: 42 as KeyField, keyValue: "alice" },
        { keyValue: "alice" },
        // An incremental window belongs to a full run only (CONTRACT §5, §8).
        { ...single, changedSinceSeconds: 900 }
      ]
      for (const request of malformed) {
        const answer = yield* writeback(fixture.client, request)
        assert.strictEqual(answer.error?.code, status.INVALID_ARGUMENT, JSON.stringify(request))
        assert.match(answer.error?.details ?? "", /^INVALID_REQUEST: /)
        assert.deepStrictEqual(answer.events, [])
      }
      const windowed = yield* writeback(fixture.client, { ...single, changedSinceSeconds: 900 })
      assert.include(
        windowed.error?.details,
        "changed_since_seconds is only allowed with process_all"
      )
      assert.deepStrictEqual(fixture.emulator.log(), [])
    })
  )

  it.scoped("answers NOT_FOUND and FAILED_PRECONDITION for unknown and ambiguous keys", () =>
    Effect.gen(function* () {
      const fixture = yield* setup
      const missing = yield* writeback(fixture.client, {
        keyField: KeyField.USERNAME,
        keyValue: "a*)(objectClass=*"
      })
      assert.strictEqual(missing.error?.code, status.NOT_FOUND)
      assert.match(missing.error?.details ?? "", /^NOT_FOUND: /)

      const ambiguous = yield* writeback(fixture.client, {
        keyField: KeyField.USERNAME,
        keyValue: Fixture.twinUsername
      })
      assert.strictEqual(ambiguous.error?.code, status.FAILED_PRECONDITION)
      assert.match(ambiguous.error?.details ?? "", /^AMBIGUOUS_KEY: /)
      assert.isFalse(kinds(ambiguous).includes("user"))
      assert.deepStrictEqual(patches(fixture), [])
    })
  )

  it.scoped("answers FAILED_PRECONDITION / MASS_UPDATE_GUARD and writes nothing", () =>
    Effect.gen(function* () {
      const fixture = yield* setup
      const answer = yield* writeback(fixture.client, { ...fullRun, maxUpdates: 1 })
      assert.strictEqual(answer.error?.code, status.FAILED_PRECONDITION)
      assert.match(answer.error?.details ?? "", /^MASS_UPDATE_GUARD: /)
      assert.deepStrictEqual(patches(fixture), [])
    })
  )

  it.scoped(
    "sends the summary of an aborted run, then UNAVAILABLE; logs the abort at error level",
    () =>
      Effect.gen(function* () {
        const fixture = yield* setup
        fixture.emulator.setFaults({ errorRate: 1 })
        const answer = yield* writeback(fixture.client, fullRun)
        const summary = summaryOf(answer.events)
        assert.isTrue(summary.aborted)
        // Every answer 503: the bulk list, after its retries, ends the run (DFØ unreachable).
        assert.match(summary.abortReason, /^DFØ unreachable: /)
        assert.strictEqual(answer.error?.code, status.UNAVAILABLE)
        assert.match(answer.error?.details ?? "", /^RUN_ABORTED: /)
        assert.deepStrictEqual(patches(fixture), [])
        // Alerts on error-level lines must see an aborted night: one line says so.
        const isAbort = (line: Record<string, unknown>) =>
          line["run_id"] === summary.runId && line["message"] === "run aborted"
        yield* eventually(() => fixture.server.logs().some(isAbort), "the run's abort line")
        const aborted = fixture.server.logs().filter(isAbort)
        assert.deepStrictEqual(
          aborted.map((line) => line["level"]),
          ["error"]
        )
      })
  )

  it.scoped("answers UNAVAILABLE / LDAP_CONNECTION_FAILED while the directory is down", () =>
    Effect.gen(function* () {
      const fixture = yield* setup
      yield* Effect.acquireRelease(
        Effect.promise(() => fixture.testbed.kill()),
        () => Effect.promise(() => fixture.testbed.restart())
      )
      for (const request of [single, fullRun]) {
        const answer = yield* writeback(fixture.client, request)
        assert.strictEqual(answer.error?.code, status.UNAVAILABLE)
        assert.match(answer.error?.details ?? "", /^LDAP_CONNECTION_FAILED: /)
      }
      assert.deepStrictEqual(patches(fixture), [])
    })
  )

  it.scoped(
    "refuses a second full run with ABORTED / RUN_IN_PROGRESS and serves single users alongside",
    () =>
      Effect.gen(function* () {
        const fixture = yield* setup
        fixture.emulator.setFaults({ latencyMs: 150 })
        const first = start(fixture.client, fullRun)
        yield* eventually(
          () => first.events.some((e) => e.event.case === "user"),
          "the first run's users"
        )

        const second = yield* writeback(fixture.client, { ...fullRun, logOnly: true })
        assert.strictEqual(second.error?.code, status.ABORTED)
        assert.match(second.error?.details ?? "", /^RUN_IN_PROGRESS: /)
        assert.deepStrictEqual(second.events, [])

        const alongside = yield* writeback(fixture.client, { ...single, logOnly: true })
        assert.isUndefined(alongside.error)
        assert.deepStrictEqual(kinds(alongside), ["started", "user", "summary"])
        assert.isFalse(first.ended(), "the full run was still streaming")

        const done = yield* Effect.promise(() => first.answer)
        assert.isUndefined(done.error)
        assert.strictEqual(summaryOf(done.events).total, Fixture.directorySize)

        // The gate opens again once the run has ended.
        const again = yield* writeback(fixture.client, { ...fullRun, logOnly: true })
        assert.isUndefined(again.error)
      })
  )

  it.scoped("stops a cancelled run: no PUT starts a second after the cancel", () =>
    Effect.gen(function* () {
      const fixture = yield* setup
      fixture.emulator.setFaults({ latencyMs: 300 })
      const running = start(fixture.client, fullRun)
      yield* eventually(
        () =>
          running.events.some(
            (e) => e.event.case === "user" && e.event.value.outcome === Outcome.UPDATED
          ),
        "the first update"
      )
      const cancelledAt = Date.now()
      running.call.cancel()
      const answer = yield* Effect.promise(() => running.answer)
      assert.strictEqual(answer.error?.code, status.CANCELLED)

      const runId = answer.headers?.get("run-id")[0]
      assert.isString(runId)
      // Once the run has logged its end, it makes no more requests: the log is complete.
      yield* runEnded(fixture, String(runId))
      const late = patches(fixture).filter((entry) => entry.time > cancelledAt + 1_000)
      assert.deepStrictEqual(late, [])
      assert.isTrue(
        fixture.server
          .logs()
          .some(
            (line) =>
              line["message"] === "call" &&
              line["run_id"] === runId &&
              line["status"] === "CANCELLED"
          )
      )
      // Every PUT that reached DFØ has its intent line and a done line, the one cut short by
      // the cancel marked `unknown` (CONTRACT §4 step 10).
      const audit = (phase: string) =>
        fixture.server
          .logs()
          .filter((line) => line["run_id"] === runId && line["audit_phase"] === phase)
      const puts = patches(fixture).map((entry) => entry.path.split("/").pop())
      assert.isAbove(puts.length, 0)
      assert.sameMembers(
        audit("intent").map((line) => line["sap_id"]),
        puts
      )
      assert.sameMembers(
        audit("done").map((line) => line["sap_id"]),
        puts
      )
      for (const line of audit("done")) {
        assert.include(["written", "rejected", "unknown"], line["result"])
      }
    })
  )

  it.scoped("ends a run at its deadline with DEADLINE_EXCEEDED and stops writing", () =>
    Effect.gen(function* () {
      const fixture = yield* setup
      fixture.emulator.setFaults({ latencyMs: 300 })
      const startedAt = Date.now()
      const answer = yield* writeback(fixture.client, fullRun, { deadlineMs: 1_000 })
      assert.strictEqual(answer.error?.code, status.DEADLINE_EXCEEDED)
      const runId = answer.headers?.get("run-id")[0]
      assert.isString(runId)
      yield* runEnded(fixture, String(runId))
      const late = patches(fixture).filter((entry) => entry.time > startedAt + 2_000)
      assert.deepStrictEqual(late, [])
      assert.isTrue(
        fixture.server
          .logs()
          .some(
            (line) =>
              line["message"] === "call" &&
              line["run_id"] === runId &&
              line["status"] === "DEADLINE_EXCEEDED"
          )
      )
    })
  )
})
