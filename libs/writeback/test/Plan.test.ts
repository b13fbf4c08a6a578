import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { AllUsersRequest, defaultMapping, type UserResult } from "@dfo-writeback/domain"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Chunk, Deferred, Effect, Either, Layer, Stream } from "effect"
import { Plan, Writeback, type WritebackConfig } from "../src/index.js"
import * as F from "./fixtures.js"

const people = {
  ada: F.person("planada", "00300001"),
  bob: F.person("planbob", "00300002"),
  cy: F.person("plancy", "00300003"),
  same: F.person("plansame", "00300004")
}
const stale = (id: string) =>
  makeEmployee({ id, eksternIdent: null, epost: "old@uni.no", brukerident: null })

const services = Layer.mergeAll(
  LdapTestbed.layer({ entries: Object.values(people) }),
  DfoEmulator.layer({
    employees: [
      stale("00300001"),
      stale("00300002"),
      stale("00300003"),
      F.inSync(people.same, "00300004")
    ]
  })
)

const hours = 3_600_000

const settingsOf = (baseUrl: string) =>
  Plan.settingsOf({ baseUrl, mapping: defaultMapping, rules: F.rules })

/** A plan as `writeback plan --process-all` makes it, and its file's text. */
const makePlan = (now = new Date()) =>
  Effect.gen(function* () {
    const emulator = yield* DfoEmulator
    const program = yield* F.program()
    const events = yield* Effect.gen(function* () {
      const writeback = yield* Writeback.Service
      return Chunk.toReadonlyArray(
        yield* Stream.runCollect(
          writeback.run(new AllUsersRequest({ logOnly: true, maxUpdates: 0 }))
        )
      )
    }).pipe(Effect.provide(program))
    const plan = Plan.make({
      settings: settingsOf(emulator.baseUrl),
      results: F.users(events),
      skippedByReason: F.summaryOf(events).skippedByReason,
      now
    })
    return { plan, text: Plan.encode(plan) }
  })

/** `writeback apply`: the file read back, then applied. */
const applyText = (
  text: string,
  options: Writeback.ApplyOptions = {},
  overrides: Partial<WritebackConfig.WritebackSettings> = {}
) =>
  Effect.gen(function* () {
    const emulator = yield* DfoEmulator
    const decoded = Plan.decode(text, {
      settings: settingsOf(emulator.baseUrl),
      maxAgeHours: 24,
      now: new Date()
    })
    if (Either.isLeft(decoded)) return yield* Effect.fail(decoded.left)
    const program = yield* F.program(overrides)
    const events = yield* Effect.gen(function* () {
      const writeback = yield* Writeback.Service
      return Chunk.toReadonlyArray(
        yield* Stream.runCollect(writeback.apply(decoded.right, options))
      )
    }).pipe(Effect.provide(program))
    return events
  })

const byId = (results: ReadonlyArray<UserResult>) => new Map(results.map((r) => [r.sapId, r]))

const fresh = Effect.gen(function* () {
  const emulator = yield* DfoEmulator
  const testbed = yield* LdapTestbed.LdapTestbed
  yield* Effect.promise(() => testbed.replace(Object.values(people)))
  emulator.reset()
  return emulator
})

describe("Plan", () => {
  layer(services, { timeout: "60 seconds", excludeTestServices: true })(
    "plan and apply over slapd and DFØ",
    (it) => {
      it.effect("plan writes nothing; apply writes exactly the planned users", () =>
        Effect.gen(function* () {
          const emulator = yield* fresh
          const { plan, text } = yield* makePlan()
          assert.deepStrictEqual(F.writes(emulator), [])
          assert.deepStrictEqual(plan.users.map((u) => u.sap_id).sort(), [
            "00300001",
            "00300002",
            "00300003"
          ])
          assert.strictEqual(plan.digest, Plan.digestOf(plan))
          const events = yield* applyText(text)
          const results = byId(F.users(events))
          for (const id of ["00300001", "00300002", "00300003"]) {
            assert.strictEqual(results.get(id)?.outcome, "UPDATED")
          }
          assert.strictEqual(results.size, 3)
          const written = F.writes(emulator)
          assert.deepStrictEqual(written.map((w) => w.id).sort(), [
            "00300001",
            "00300002",
            "00300003"
          ])
          const ada = written.find((w) => w.id === "00300001")?.body as Record<string, unknown>
          assert.strictEqual(ada["epost"], "planada@uni.no")
          assert.strictEqual(ada["eksternIdent"], "planada@feide.uni.no")
          assert.strictEqual(ada["brukerident"], "00300001")
        })
      )

      it.effect("a user whose LDAP entry changed after planning is PLAN_STALE, not written", () =>
        Effect.gen(function* () {
          const emulator = yield* fresh
          const testbed = yield* LdapTestbed.LdapTestbed
          const { text } = yield* makePlan()
          yield* Effect.promise(() =>
            testbed.replace([{ ...people.ada, idautoPersonSystem2ID: "renamed@uni.no" }])
          )
          const results = byId(F.users(yield* applyText(text)))
          const ada = results.get("00300001")
          assert.strictEqual(ada?.outcome, "SKIPPED")
          assert.strictEqual(ada?.skipReason, "PLAN_STALE")
          assert.include(ada?.message, 'LDAP now derives epost "renamed@uni.no"')
          assert.strictEqual(results.get("00300002")?.outcome, "UPDATED")
          assert.deepStrictEqual(
            F.writes(emulator)
              .map((w) => w.id)
              .sort(),
            ["00300002", "00300003"]
          )
        })
      )

      it.effect("a user whose DFØ record changed after planning is PLAN_STALE, not written", () =>
        Effect.gen(function* () {
          const emulator = yield* fresh
          const { text } = yield* makePlan()
          emulator.updateEmployee("00300002", { epost: "hr-set@uni.no" })
          emulator.resetLog()
          const results = byId(F.users(yield* applyText(text)))
          const bob = results.get("00300002")
          assert.strictEqual(bob?.skipReason, "PLAN_STALE")
          assert.include(
            bob?.message,
            'DFØ\'s epost is now "hr-set@uni.no", the plan saw "old@uni.no"'
          )
          assert.deepStrictEqual(
            F.writes(emulator)
              .map((w) => w.id)
              .sort(),
            ["00300001", "00300003"]
          )
          assert.strictEqual(emulator.employee("00300002")?.epost, "hr-set@uni.no")
        })
      )

      it.effect("a retried write re-checks the plan: DFØ changed during a 503 → PLAN_STALE", () =>
        Effect.gen(function* () {
          const emulator = yield* fresh
          const { text } = yield* makePlan()
          emulator.resetLog()
          emulator.script({
            method: "PUT",
            path: "/00300002",
            status: 503,
            headers: { "retry-after": "0" }
          })
          // HR sets bob's epost while DFØ answers 503: the plan saw "old@uni.no".
          emulator.mutateAfter({
            method: "PUT",
            path: "/00300002",
            id: "00300002",
            set: { epost: "hr-set@uni.no" }
          })
          const results = byId(F.users(yield* applyText(text)))
          const bob = results.get("00300002")
          assert.strictEqual(bob?.skipReason, "PLAN_STALE", bob?.message)
          assert.include(bob?.message, 'the plan saw "old@uni.no"')
          // One PUT (the 503), then a re-read, and no second PUT.
          assert.deepStrictEqual(
            emulator
              .log()
              .filter((e) => e.path.endsWith("/00300002"))
              .map((e) => `${e.method} ${e.status}`),
            ["GET 200", "PUT 503", "GET 200"]
          )
          assert.strictEqual(emulator.employee("00300002")?.epost, "hr-set@uni.no")
        })
      )

      it.effect("altered, expired and other-settings plans are refused and write nothing", () =>
        Effect.gen(function* () {
          const emulator = yield* fresh
          const { plan, text } = yield* makePlan()
          const altered = text.replace("planada@uni.no", "attacker@evil.example")
          const old = Plan.encode(
            Plan.make({
              settings: plan.settings,
              results: [],
              skippedByReason: {},
              now: new Date(Date.now() - 25 * hours)
            })
          )
          const otherBody = {
            ...plan,
            settings: { ...plan.settings, base_url: "https://other.example/ansatte" }
          }
          const other = Plan.encode({ ...otherBody, digest: Plan.digestOf(otherBody) })
          const cases = [
            [altered, "PlanAltered"],
            [old, "PlanExpired"],
            [other, "PlanOtherSettings"],
            ["{ not json", "PlanMalformed"],
            [JSON.stringify({ version: 1 }), "PlanMalformed"]
          ] as const
          for (const [file, tag] of cases) {
            const refused = yield* Effect.flip(applyText(file))
            assert.strictEqual(refused._tag, tag)
          }
          assert.deepStrictEqual(F.writes(emulator), [])
          assert.strictEqual(F.countBy(emulator, "GET"), 1) // the plan's own bulk list
        })
      )

      it.effect("`maxUpdates` bounds a plan: over it, nothing is written", () =>
        Effect.gen(function* () {
          const emulator = yield* fresh
          const { text } = yield* makePlan()
          const refused = yield* Effect.flip(applyText(text, { maxUpdates: 2 }))
          assert.strictEqual(refused._tag, "MassUpdateGuard")
          assert.deepStrictEqual(F.writes(emulator), [])
        })
      )

      it.effect("apply interrupted, then applied again, converges and writes nobody twice", () =>
        Effect.gen(function* () {
          const emulator = yield* fresh
          const { text } = yield* makePlan()
          const stop = yield* Deferred.make<void>()
          const program = yield* F.program({ concurrency: 1 })
          const decoded = Either.getOrThrow(
            Plan.decode(text, {
              settings: settingsOf(emulator.baseUrl),
              maxAgeHours: 24,
              now: new Date()
            })
          )
          const first = yield* Effect.gen(function* () {
            const writeback = yield* Writeback.Service
            return Chunk.toReadonlyArray(
              yield* Stream.runCollect(
                writeback
                  .apply(decoded, { stop: Deferred.await(stop) })
                  .pipe(
                    Stream.tap((event) =>
                      event._tag === "UserResult" ? Deferred.succeed(stop, undefined) : Effect.void
                    )
                  )
              )
            )
          }).pipe(Effect.provide(program))
          assert.isTrue(F.summaryOf(first).aborted)
          const writtenFirst = F.writes(emulator).length
          assert.isAbove(writtenFirst, 0)
          assert.isBelow(writtenFirst, 3)
          const second = F.users(yield* applyText(text))
          assert.strictEqual(second.length, 3)
          assert.strictEqual(second.filter((r) => r.outcome === "UNCHANGED").length, writtenFirst)
          assert.strictEqual(second.filter((r) => r.outcome === "UPDATED").length, 3 - writtenFirst)
          const ids = F.writes(emulator)
            .map((w) => w.id)
            .sort()
          assert.deepStrictEqual(ids, ["00300001", "00300002", "00300003"])
        })
      )
    }
  )
})
