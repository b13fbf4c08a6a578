// Incremental runs (CONTRACT §8, issue #22 point 4) against a real slapd, which sets each
// entry's modifyTimestamp itself: only entries modified within the window are examined,
// check 6a still sees a claimant outside it, the mass-update guard counts the window's
// writes. A few changes are checked with one search for their ids (no pass over every id)
// and read one GET each; more than 500 take the pass over the ids and DFØ's list.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { AllUsersRequest, countsAddUp, type RunStarted } from "@dfo-writeback/domain"
import { LdapTestbed, type TestbedEntry } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as F from "./fixtures.js"

const people = {
  changed: F.person("changed", "00600001"),
  other: F.person("other", "00600004"),
  quiet: F.person("quiet", "00600002"),
  twinIn: F.person("twinin", "00600003"),
  twinOut: F.person("twinout", "600003"),
  pairA: F.person("paira", "00600005"),
  pairB: F.person("pairb", "0600005"),
  pairOut: F.person("pairout", "600005")
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
  DfoEmulator.layer({
    employees: ["00600001", "00600002", "00600003", "00600004", "00600005"].map(stale)
  })
)

/** The employee a request names, "" for the list of all employees. */
const employeeOf = (entry: { readonly path: string }) => /\/(\d+)$/.exec(entry.path)?.[1] ?? ""

const incremental = (changedSinceSeconds: number, maxUpdates = 0) =>
  new AllUsersRequest({ logOnly: false, maxUpdates, changedSinceSeconds })

const run = (request: AllUsersRequest) => Effect.map(F.runTraced(request), ({ events }) => events)

/** Modifies entries (a new mail), so the directory stamps them modified now. */
const modify = (...entries: ReadonlyArray<TestbedEntry>) =>
  Effect.gen(function* () {
    const testbed = yield* LdapTestbed.LdapTestbed
    yield* Effect.promise(() =>
      testbed.replace(
        entries.map((entry) => ({ ...entry, mail: `${String(entry["cn"])}@new.uni.no` }))
      )
    )
  })

/** How many times a run opened a span: which searches of the directory it made. */
const count = (spans: ReadonlyArray<string>, name: string) =>
  spans.filter((span) => span === name).length

/** Each user's outcome (with its skip reason) and message, by name. */
const byName = (events: Parameters<typeof F.users>[0]) =>
  new Map(
    F.users(events).map((u) => [
      u.username,
      [u.skipReason === undefined ? u.outcome : `${u.outcome}/${u.skipReason}`, u.message]
    ])
  )

describe("an incremental run (CONTRACT §8)", () => {
  layer(services, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect(
      "examines only the entries modified within its window; a claimant outside it still blocks the write",
      () =>
        Effect.gen(function* () {
          const emulator = yield* DfoEmulator
          yield* modify(people.changed, people.other, people.twinIn)
          emulator.reset()
          // A few changed entries: their candidates' ids checked with one search for all of
          // them, as broad as a single-user run's, and no pass over every entry's id. Dry
          // runs too.
          const dry = yield* F.runTraced(
            new AllUsersRequest({ logOnly: true, maxUpdates: 0, changedSinceSeconds: 600 })
          )
          assert.deepStrictEqual(
            [...byName(dry.events)].map(([name, [outcome]]) => [name, outcome]).sort(),
            [
              ["changed", "WOULD_UPDATE"],
              ["other", "WOULD_UPDATE"],
              ["twinin", "SKIPPED/DUPLICATE_EMPLOYEE_ID"]
            ]
          )
          assert.include(byName(dry.events).get("twinin")?.[1], F.idautoIdOf(people.twinOut))
          assert.strictEqual(count(dry.spans, "PortalDirectory.streamEmployeeIds"), 0)
          assert.strictEqual(count(dry.spans, "PortalDirectory.findByEmployeeIds"), 1)
          assert.strictEqual(count(dry.spans, "PortalDirectory.findByEmployeeId"), 0)
          assert.deepStrictEqual(F.writes(emulator), [])

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

    it.effect(
      "two changed entries claiming one id are both duplicates naming each other and the claimant outside the window, nothing written",
      () =>
        Effect.gen(function* () {
          const emulator = yield* DfoEmulator
          yield* modify(people.pairA, people.pairB)
          emulator.reset()
          const events = yield* run(incremental(600))
          const outcomes = byName(events)
          for (const [name, other] of [
            ["paira", people.pairB],
            ["pairb", people.pairA]
          ] as const) {
            assert.strictEqual(outcomes.get(name)?.[0], "SKIPPED/DUPLICATE_EMPLOYEE_ID", name)
            assert.include(outcomes.get(name)?.[1], F.idautoIdOf(other), name)
            assert.include(outcomes.get(name)?.[1], F.idautoIdOf(people.pairOut), name)
          }
          assert.notInclude(
            F.writes(emulator).map((w) => w.id),
            "00600005"
          )
          assert.notInclude(emulator.log().map(employeeOf), "00600005")
        })
    )

    it.effect(
      "above 500 changed entries, reads DFØ's list once and every id in one pass; a claimant outside the window still counts",
      () =>
        Effect.gen(function* () {
          const testbed = yield* LdapTestbed.LdapTestbed
          const emulator = yield* DfoEmulator
          const many = Array.from({ length: 501 }, (_, i) =>
            // The first claims quiet's employee, whose entry lies outside the window.
            F.person(`bulk${i}`, i === 0 ? "600002" : String(700_000 + i).padStart(8, "0"))
          )
          yield* Effect.promise(() => testbed.add(many))
          emulator.reset()
          const { events, spans } = yield* F.runTraced(
            new AllUsersRequest({ logOnly: true, maxUpdates: 0, changedSinceSeconds: 600 })
          )
          assert.isAtLeast(F.users(events).length, many.length)
          const gets = emulator.log().filter((entry) => entry.method === "GET")
          assert.strictEqual(gets.filter((entry) => employeeOf(entry) === "").length, 1)
          assert.strictEqual(count(spans, "PortalDirectory.streamEmployeeIds"), 1)
          const bulk0 = byName(events).get("bulk0")
          assert.strictEqual(bulk0?.[0], "SKIPPED/DUPLICATE_EMPLOYEE_ID")
          assert.include(bulk0?.[1], F.idautoIdOf(people.quiet))
        })
    )
  })
})
