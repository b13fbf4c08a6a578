import { DfoEmulator, type Emulator } from "@dfo-writeback/dfo-emulator"
import { SingleUserRequest } from "@dfo-writeback/domain"
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

const runOne = (overrides: Parameters<typeof F.program>[0], options: Writeback.RunOptions = {}) =>
  Effect.gen(function* () {
    const program = yield* F.program(overrides)
    return yield* Effect.flatMap(Writeback.Service, (writeback) =>
      Stream.runCollect(writeback.run(fresh, options))
    ).pipe(Effect.map(Chunk.toReadonlyArray), Effect.provide(program))
  })

const requests = (emulator: Emulator) =>
  emulator.log().map((e) => `${e.method} ${e.path.split("/").pop()} ${e.status ?? "-"}`)

describe("Writeback: a single-user run without the full run's stages (issue #21)", () => {
  layer(services, { timeout: "60 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect("its events and summary follow the full run's rules for its one user", () =>
        Effect.gen(function* () {
          const emulator = yield* DfoEmulator
          emulator.reset()
          emulator.script({ method: "PUT", path: "/00200010", status: 422, faultText: "nei" })
          const events = yield* runOne({ abortAfterConsecutiveFailures: 1 })
          assert.deepStrictEqual(
            events.map((e) => e._tag),
            ["RunStarted", "UserResult", "RunSummary"]
          )
          const summary = F.summaryOf(events)
          assert.strictEqual(summary.updateFailed, 1)
          assert.strictEqual(summary.total, 1)
          // A streak of one failure trips SAP_ABORT_AFTER_CONSECUTIVE_FAILURES=1.
          assert.isTrue(summary.aborted)
          assert.match(summary.abortReason, /1 consecutive DFØ failures/)
          assert.strictEqual(summary.dfoRequests, 2)
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
