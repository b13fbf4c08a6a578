// Incremental runs (CONTRACT §8, issue #22 point 4) against a real slapd, which sets each
// entry's modifyTimestamp itself: only entries modified within the window are examined,
// check 6a still sees a claimant outside it, the mass-update guard counts the window's
// writes, and a few changes are read one GET each, more than 500 through DFØ's list.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { AllUsersRequest, countsAddUp, type RunStarted } from "@dfo-writeback/domain"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Chunk, Effect, Layer, Stream } from "effect"
import { Writeback } from "../src/index.js"
import * as F from "./fixtures.js"

const people = {
  changed: F.person("changed", "00600001"),
  other: F.person("other", "00600004"),
  quiet: F.person("quiet", "00600002"),
  twinIn: F.person("twinin", "00600003"),
  twinOut: F.person("twinout", "600003")
}
const entries = Object.values(people)
/** Every employee differs from the directory: whatever is examined would be written. */
const stale = (id: string) =>
  makeEmployee({ id, eksternIdent: null, epost: "old@uni.no", brukerident: null })

const services = Layer.mergeAll(
  // Loaded a year ago, as slapadd lets a load say: only what the test modifies is recent.
  LdapTestbed.layer({
    entries: entries.map((entry) => ({ ...entry, modifyTimestamp: "20251201000000Z" }))
  }),
  DfoEmulator.layer({ employees: ["00600001", "00600002", "00600003", "00600004"].map(stale) })
)

/** The employee a request names, "" for the list of all employees. */
const employeeOf = (entry: { readonly path: string }) => /\/(\d+)$/.exec(entry.path)?.[1] ?? ""

const incremental = (changedSinceSeconds: number, maxUpdates = 0) =>
  new AllUsersRequest({ logOnly: false, maxUpdates, changedSinceSeconds })

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
          yield* Effect.promise(() =>
            testbed.replace([
              { ...people.changed, mail: "changed@new.uni.no" },
              { ...people.other, mail: "other@new.uni.no" },
              { ...people.twinIn, mail: "twinin@new.uni.no" }
            ])
          )
          emulator.reset()
          // The mass-update guard counts the window's planned writes: two, above one.
          const guarded = yield* Effect.flip(run(incremental(600, 1)))
          assert.strictEqual(guarded.code, "MASS_UPDATE_GUARD")
          assert.deepStrictEqual(F.writes(emulator), [])

          emulator.reset()
          const events = yield* run(incremental(600))

          const started = events[0] as RunStarted
          assert.strictEqual(started._tag, "RunStarted")
          assert.strictEqual(started.changedSinceSeconds, 600)
          const outcomes = new Map(
            F.users(events).map((u) => [u.username, [u.outcome, u.skipReason, u.message]])
          )
          assert.deepStrictEqual([...outcomes.keys()].sort(), ["changed", "other", "twinin"])
          assert.strictEqual(outcomes.get("changed")?.[0], "UPDATED")
          assert.strictEqual(outcomes.get("other")?.[0], "UPDATED")
          assert.deepStrictEqual(outcomes.get("twinin")?.slice(0, 2), [
            "SKIPPED",
            "DUPLICATE_EMPLOYEE_ID"
          ])
          assert.include(outcomes.get("twinin")?.[2], F.idautoIdOf(people.twinOut))
          assert.isTrue(countsAddUp(F.summaryOf(events)))
          assert.deepStrictEqual(
            F.writes(emulator)
              .map((w) => w.id)
              .sort(),
            ["00600001", "00600004"]
          )
          // Below the threshold: no list of all employees, each employee read on its own.
          const gets = emulator.log().filter((entry) => entry.method === "GET")
          assert.isAbove(gets.length, 0)
          assert.deepStrictEqual(new Set(gets.map(employeeOf)), new Set(["00600001", "00600004"]))

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

    it.effect("above 500 changed entries, reads DFØ's list of all employees once", () =>
      Effect.gen(function* () {
        const testbed = yield* LdapTestbed.LdapTestbed
        const emulator = yield* DfoEmulator
        const many = Array.from({ length: 501 }, (_, i) =>
          F.person(`bulk${i}`, String(700_000 + i).padStart(8, "0"))
        )
        yield* Effect.promise(() => testbed.add(many))
        emulator.reset()
        const events = yield* run(
          new AllUsersRequest({ logOnly: true, maxUpdates: 0, changedSinceSeconds: 600 })
        )
        assert.isAtLeast(F.users(events).length, many.length)
        const gets = emulator.log().filter((entry) => entry.method === "GET")
        assert.strictEqual(gets.filter((entry) => employeeOf(entry) === "").length, 1)
      })
    )
  })
})
