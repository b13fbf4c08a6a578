// Check 6a in a real full run that reads the directory once (issue #21 point 5), and
// UNCHANGED users as a count (point 6), against a real slapd paged 4 entries at a time:
// claimants of one employee pages apart are all DUPLICATE_EMPLOYEE_ID, none is written,
// the guard counts exactly the writes that go, and the rest is reported as decided.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { AllUsersRequest, countsAddUp, type WritebackEvent } from "@dfo-writeback/domain"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import type { Writeback, WritebackConfig } from "../src/index.js"
import * as F from "./fixtures.js"

const pageSize = 4
const fillers = Array.from({ length: 7 }, (_, i) => F.person(`fill${i}`, `0050001${i}`))
/** In directory order: page 1 holds the first claimants, pages 3 and 4 the later ones. */
const people = {
  first: F.person("first", "00500001"),
  alone: F.person("alone", "00500002"),
  twin1: F.person("twin1", "00500003"),
  nosap: F.person("nosap", "00500004"),
  fill0: fillers[0],
  fill1: fillers[1],
  fill2: fillers[2],
  fill3: fillers[3],
  firstAgain: F.person("firstagain", "500001"),
  fill4: fillers[4],
  twin2: F.person("twin2", "0500003"),
  fill5: fillers[5],
  nosapTab: F.person("nosaptab", "00500004\t"),
  firstThird: F.person("firstthird", " 00500001 "),
  fill6: fillers[6]
}
const entries = Object.values(people).filter((e) => e !== undefined)
/** Employees whose every claimant is a duplicate: never written. */
const claimed = ["00500001", "00500003", "00500004"]
const changes = (id: string) =>
  makeEmployee({ id, eksternIdent: null, epost: "old@uni.no", brukerident: null })
const employees = () => [
  changes("00500001"),
  F.inSync(people.alone, "00500002"),
  F.inSync(people.twin1, "00500003"),
  ...fillers.map((_, i) => changes(`0050001${i}`))
]

const services = Layer.mergeAll(
  LdapTestbed.layer({ entries }),
  DfoEmulator.layer({ employees: employees() })
)

const fresh = Effect.gen(function* () {
  const emulator = yield* DfoEmulator
  emulator.reset()
  return emulator
})

/** A run over this suite's directory, paged `pageSize` entries at a time. */
const run = (
  request: AllUsersRequest,
  options: Writeback.RunOptions = {},
  overrides: Partial<WritebackConfig.WritebackSettings> = {}
) => F.runTraced(request, options, overrides, { directory: { pageSize } })

const real = (maxUpdates = 0) => new AllUsersRequest({ logOnly: false, maxUpdates })

/** Each user's outcome by name, and its message. */
const byName = (events: ReadonlyArray<WritebackEvent>) =>
  new Map(
    F.users(events).map((u) => [
      u.username,
      {
        outcome: u.skipReason === undefined ? u.outcome : `${u.outcome}/${u.skipReason}`,
        message: u.message
      }
    ])
  )

const duplicate = "SKIPPED/DUPLICATE_EMPLOYEE_ID"
const claimants = {
  first: ["firstagain", "firstthird"],
  firstagain: ["first", "firstthird"],
  firstthird: ["first", "firstagain"],
  twin1: ["twin2"],
  twin2: ["twin1"],
  nosap: ["nosaptab"]
} as const
const entryOf = (name: string) => entries.find((e) => e["cn"] === name)

describe("a real full run reads the directory once (CONTRACT §4 check 6a)", () => {
  layer(services, { timeout: 120_000 })((it) => {
    it.effect(
      "claimants pages apart are all duplicates naming every other, none written; the rest as decided",
      () =>
        Effect.gen(function* () {
          const emulator = yield* fresh
          const { events, spans } = yield* run(real())
          const results = byName(events)
          assert.strictEqual(F.users(events).length, entries.length)
          for (const [name, others] of Object.entries(claimants)) {
            const result = results.get(name)
            assert.strictEqual(result?.outcome, duplicate, name)
            for (const other of others) {
              const entry = entryOf(other)
              assert.include(result?.message, entry === undefined ? other : F.idautoIdOf(entry))
            }
          }
          assert.strictEqual(results.get("nosaptab")?.outcome, "SKIPPED/INVALID_ATTRIBUTES")
          assert.strictEqual(results.get("alone")?.outcome, "UNCHANGED")
          for (const i of fillers.keys())
            assert.strictEqual(results.get(`fill${i}`)?.outcome, "UPDATED")
          const summary = F.summaryOf(events)
          assert.isTrue(countsAddUp(summary))
          assert.deepStrictEqual(
            { ...summary.skippedByReason },
            { DUPLICATE_EMPLOYEE_ID: 6, INVALID_ATTRIBUTES: 1 }
          )
          assert.strictEqual(summary.unchanged, 1)
          assert.strictEqual(summary.updated, fillers.length)
          const claimedIds = claimed.map(Number)
          assert.deepStrictEqual(
            F.writes(emulator).filter((w) =>
              claimedIds.includes(Number(decodeURIComponent(w.id).trim()))
            ),
            []
          )
          assert.strictEqual(F.writes(emulator).length, fillers.length)
          // One search of the directory: no pass asking only for the employee ids.
          assert.include(spans, "PortalDirectory.streamAll")
          assert.notInclude(spans, "PortalDirectory.streamEmployeeIds")
        })
    )

    it.effect("a dry run (two passes, streaming) reaches the same verdicts", () =>
      Effect.gen(function* () {
        yield* fresh
        const { events, spans } = yield* run(new AllUsersRequest({ logOnly: true, maxUpdates: 0 }))
        const dry = byName(events)
        const { events: realEvents } = yield* run(real())
        yield* fresh
        for (const [name, result] of byName(realEvents)) {
          const expected = result.outcome === "UPDATED" ? "WOULD_UPDATE" : result.outcome
          assert.strictEqual(dry.get(name)?.outcome, expected, name)
        }
        assert.include(spans, "PortalDirectory.streamEmployeeIds")
      })
    )

    it.effect(
      "the guard counts only the writes that go: a write planned for an id claimed pages later is not one",
      () =>
        Effect.gen(function* () {
          const emulator = yield* fresh
          const within = yield* run(real(fillers.length))
          assert.strictEqual(F.summaryOf(within.events).updated, fillers.length)
          yield* fresh
          const over = yield* Effect.either(run(real(fillers.length - 1)))
          assert.isTrue(Either.isLeft(over) && over.left._tag === "MassUpdateGuard")
          if (Either.isLeft(over) && over.left._tag === "MassUpdateGuard")
            assert.strictEqual(over.left.planned, fillers.length)
          assert.strictEqual(F.countBy(emulator, "PUT"), 0)
        })
    )

    it.effect(
      "unchangedResults count: no UNCHANGED result, the same summary, duplicates still reported",
      () =>
        Effect.gen(function* () {
          yield* fresh
          const emitted = yield* run(new AllUsersRequest({ logOnly: true, maxUpdates: 0 }))
          const counted = yield* run(new AllUsersRequest({ logOnly: true, maxUpdates: 0 }), {
            unchangedResults: "count"
          })
          yield* fresh
          const countedReal = yield* run(real(), { unchangedResults: "count" })
          for (const { events } of [counted, countedReal]) {
            assert.isFalse(F.users(events).some((u) => u.outcome === "UNCHANGED"))
            assert.strictEqual(
              F.users(events).length,
              entries.length - F.summaryOf(events).unchanged
            )
            const twin = F.users(events).find((u) => u.username === "twin1")
            assert.strictEqual(twin?.skipReason, "DUPLICATE_EMPLOYEE_ID")
            assert.strictEqual(twin?.uhUsername, "twin1-uh")
            assert.strictEqual(twin?.sapId, "00500003")
          }
          const { durationMs: _a, runId: _b, ...emittedSummary } = F.summaryOf(emitted.events)
          const { durationMs: _c, runId: _d, ...countedSummary } = F.summaryOf(counted.events)
          assert.deepStrictEqual(countedSummary, emittedSummary)
          assert.strictEqual(F.summaryOf(countedReal.events).unchanged, 1)
          assert.strictEqual(F.summaryOf(countedReal.events).updated, fillers.length)
        })
    )
  })
})
