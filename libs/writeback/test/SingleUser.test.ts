import { DfoEmulator, type Emulator, type ScriptedResponse } from "@dfo-writeback/dfo-emulator"
import { SingleUserRequest, type WritebackEvent } from "@dfo-writeback/domain"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Chunk, Effect, Layer, Schedule, Stream } from "effect"
import { Writeback } from "../src/index.js"
import * as F from "./fixtures.js"

const services = Layer.mergeAll(
  LdapTestbed.layer({ entries: F.entries }),
  DfoEmulator.layer({ employees: F.dfoEmployees() })
)

const fresh = new SingleUserRequest({ keyField: "username", keyValue: "fresh", logOnly: false })

/** `run`'s stream, or `runSingle` handing each event over (the server's and the consumer's way). */
type Via = "stream" | "emit"

const runOne = (
  overrides: Parameters<typeof F.program>[0],
  options: Writeback.RunOptions = {},
  via: Via = "stream"
) =>
  Effect.gen(function* () {
    const program = yield* F.program(overrides)
    return yield* Effect.flatMap(Writeback.Service, (writeback) => {
      if (via === "stream") {
        return Effect.map(Stream.runCollect(writeback.run(fresh, options)), Chunk.toReadonlyArray)
      }
      const events: Array<WritebackEvent> = []
      return Effect.as(
        writeback.runSingle(fresh, (event) => Effect.sync(() => void events.push(event)), options),
        events
      )
    }).pipe(Effect.provide(program))
  })

const requests = (emulator: Emulator) =>
  emulator.log().map((e) => `${e.method} ${e.path.split("/").pop()} ${e.status ?? "-"}`)

describe("Writeback: a single-user run without the full run's stages (issue #21)", () => {
  layer(services, { timeout: "60 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect.each<Via>(["stream", "emit"])(
        "its events and summary follow the full run's rules for its one user (%s)",
        (via) =>
          Effect.gen(function* () {
            const emulator = yield* DfoEmulator
            emulator.reset()
            emulator.script({ method: "PUT", path: "/00200010", status: 422, faultText: "nei" })
            const events = yield* runOne({ abortAfterConsecutiveFailures: 1 }, {}, via)
            assert.deepStrictEqual(
              events.map((e) => e._tag),
              ["RunStarted", "UserResult", "RunSummary"]
            )
            const summary = F.summaryOf(events)
            assert.strictEqual(summary.updateFailed, 1)
            assert.isFalse(F.users(events)[0]?.transient, "a 422 is this person's failure")
            assert.strictEqual(summary.total, 1)
            // A streak of one failure trips SAP_ABORT_AFTER_CONSECUTIVE_FAILURES=1.
            assert.isTrue(summary.aborted)
            assert.match(summary.abortReason, /1 consecutive DFØ failures/)
            assert.strictEqual(summary.dfoRequests, 2)
          })
      )

      it.effect(
        "a FAILED user carries whether DFØ's client called its failure transient (the event consumer pauses on it)",
        () =>
          Effect.gen(function* () {
            const emulator = yield* DfoEmulator
            const path = "/00200010"
            emulator.reset()
            const stale = emulator.employee("00200010")
            const cases: ReadonlyArray<
              readonly [string, ReadonlyArray<ScriptedResponse>, boolean, ReadonlyArray<string>]
            > = [
              [
                "a read answered 503 after its retry",
                [{ method: "GET", path, status: 503, times: 2 }],
                true,
                ["GET 503", "GET 503"]
              ],
              [
                "a write answered 503, retried",
                [{ method: "PUT", path, status: 503, times: 2 }],
                true,
                ["GET 200", "PUT 503", "GET 200", "PUT 503"]
              ],
              [
                "the re-read before a retried write answered 503",
                [
                  // The first read answered as DFØ would; the re-reads not at all.
                  { method: "GET", path, body: { ansatt: [stale] } },
                  { method: "PUT", path, status: 503 },
                  { method: "GET", path, status: 503, times: 2 }
                ],
                true,
                ["GET 200", "PUT 503", "GET 503", "GET 503"]
              ],
              [
                "a 404 that is not DFØ's IKKE ANSATT",
                [{ method: "GET", path, status: 404, times: 2 }],
                false,
                ["GET 404"]
              ],
              [
                "a write DFØ rejected (400)",
                [{ method: "PUT", path, status: 400, faultText: "ugyldig" }],
                false,
                ["GET 200", "PUT 400"]
              ]
            ]
            for (const [what, script, transient, seen] of cases) {
              emulator.reset()
              emulator.script(...script)
              const [user] = F.users(yield* runOne({}))
              assert.strictEqual(user?.outcome, "FAILED", what)
              assert.strictEqual(user?.transient, transient, what)
              assert.deepStrictEqual(
                requests(emulator)
                  .map((r) => r.replace(/ \d{8}/, ""))
                  .slice(-seen.length),
                seen,
                what
              )
            }
          })
      )

      it.effect("a stop signal that never comes does not hold the run", () =>
        Effect.gen(function* () {
          const emulator = yield* DfoEmulator
          emulator.reset()
          const events = yield* runOne({}, { stop: Effect.never })
          assert.strictEqual(F.users(events)[0]?.outcome, "UPDATED")
          assert.isFalse(F.summaryOf(events).aborted)
        })
      )

      it.effect("stopped while its write is in flight: the write ends, no retry is sent", () =>
        Effect.gen(function* () {
          const emulator = yield* DfoEmulator
          emulator.reset()
          emulator.script({
            method: "PUT",
            path: "/00200010",
            status: 503,
            delayMs: 400,
            headers: { "retry-after": "0" }
          })
          // Stops as soon as the PUT has reached DFØ (a CLI's SIGINT).
          const stop = Effect.repeat(
            Effect.sync(() => emulator.log().some((e) => e.method === "PUT")),
            { until: (sent) => sent, schedule: Schedule.spaced("5 millis") }
          ).pipe(Effect.asVoid)
          const events = yield* runOne({}, { stop })
          const [user] = F.users(events)
          assert.strictEqual(user?.outcome, "FAILED")
          assert.strictEqual(user?.errorCode, "SAP_UPDATE_FAILED")
          const summary = F.summaryOf(events)
          assert.isTrue(summary.aborted)
          assert.strictEqual(summary.abortReason, "interrupted")
          assert.deepStrictEqual(requests(emulator), ["GET 00200010 200", "PUT 00200010 503"])
        })
      )
    }
  )
})
