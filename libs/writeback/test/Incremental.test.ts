// Incremental runs (CONTRACT §8, issue #22 point 4) against a real slapd, which sets each
// entry's modifyTimestamp itself: only entries modified within the window are examined,
// check 6a still sees a claimant outside it, and a few changes are read one GET each.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { AllUsersRequest, countsAddUp, type RunStarted } from "@dfo-writeback/domain"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Chunk, Effect, Layer, Stream } from "effect"
import { Writeback } from "../src/index.js"
import * as F from "./fixtures.js"

const people = {
  changed: F.person("changed", "00600001"),
  quiet: F.person("quiet", "00600002"),
  twinIn: F.person("twinin", "00600003"),
  twinOut: F.person("twinout", "600003")
}
const entries = Object.values(people)
/** Every employee differs from the directory: whatever is examined would be written. */
const stale = (id: string) =>
  makeEmployee({ id, eksternIdent: null, epost: "old@uni.no", brukerident: null })

const services = Layer.mergeAll(
  LdapTestbed.layer({ entries }),
  DfoEmulator.layer({ employees: ["00600001", "00600002", "00600003"].map(stale) })
)

/** The employee a request names, "" for the list of all employees. */
const employeeOf = (entry: { readonly path: string }) => /\/(\d+)$/.exec(entry.path)?.[1] ?? ""

const incremental = (changedSinceSeconds: number) =>
  new AllUsersRequest({ logOnly: false, maxUpdates: 0, changedSinceSeconds })

const run = (request: AllUsersRequest) =>
  Effect.gen(function* () {
    const program = yield* F.program()
    return yield* Effect.gen(function* () {
      const writeback = yield* Writeback.Service
      return Chunk.toReadonlyArray(yield* Stream.runCollect(writeback.run(request)))
    }).pipe(Effect.provide(program))
  })

describe("an incremental run (CONTRACT §8)", () => {
  layer(services, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect(
      "examines only the entries modified within its window; a claimant outside it still blocks the write",
      () =>
        Effect.gen(function* () {
          const testbed = yield* LdapTestbed.LdapTestbed
          const emulator = yield* DfoEmulator
          // The loaded entries must lie before a 1 s window: modifyTimestamp has whole seconds.
          yield* Effect.sleep("2100 millis")
          yield* Effect.promise(() =>
            testbed.replace([
              { ...people.changed, mail: "changed@new.uni.no" },
              { ...people.twinIn, mail: "twinin@new.uni.no" }
            ])
          )
          emulator.reset()
          const events = yield* run(incremental(1))

          const started = events[0] as RunStarted
          assert.strictEqual(started._tag, "RunStarted")
          assert.strictEqual(started.changedSinceSeconds, 1)
          const outcomes = new Map(
            F.users(events).map((u) => [u.username, [u.outcome, u.skipReason, u.message]])
          )
          assert.deepStrictEqual([...outcomes.keys()].sort(), ["changed", "twinin"])
          assert.strictEqual(outcomes.get("changed")?.[0], "UPDATED")
          assert.deepStrictEqual(outcomes.get("twinin")?.slice(0, 2), [
            "SKIPPED",
            "DUPLICATE_EMPLOYEE_ID"
          ])
          assert.include(outcomes.get("twinin")?.[2], F.idautoIdOf(people.twinOut))
          assert.isTrue(countsAddUp(F.summaryOf(events)))
          assert.deepStrictEqual(
            F.writes(emulator).map((w) => w.id),
            ["00600001"]
          )
          // Below the threshold: no list of all employees, each employee read on its own.
          const gets = emulator.log().filter((entry) => entry.method === "GET")
          assert.isAbove(gets.length, 0)
          assert.deepStrictEqual(new Set(gets.map(employeeOf)), new Set(["00600001"]))

          // The same directory in a full run: every entry examined, the list read once.
          emulator.reset()
          const full = yield* run(incremental(0))
          assert.strictEqual(F.users(full).length, entries.length)
          assert.strictEqual(
            emulator.log().filter((entry) => entry.method === "GET" && employeeOf(entry) === "")
              .length,
            1
          )
        })
    )
  })
})
