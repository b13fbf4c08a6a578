import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { AllUsersRequest, type UserResult, type WritebackEvent } from "@dfo-writeback/domain"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Chunk, Effect, Either, Layer, Stream } from "effect"
import { Writeback, type WritebackConfig } from "../src/index.js"
import * as F from "./fixtures.js"

/** 200 entries over 10 pages of 20; every other one disabled, the rest each with a change. */
const size = 200
const pageSize = 20
const payrollId = (i: number) => String(400000 + i).padStart(8, "0")
const entries = Array.from({ length: size }, (_, i) =>
  F.person(`stage${i}`, payrollId(i), i % 2 === 1 ? { idautoDisabled: "TRUE" } : {})
)
const employees = () =>
  Array.from({ length: size }, (_, i) => makeEmployee({ id: payrollId(i), eksternIdent: null }))

const services = Layer.mergeAll(
  LdapTestbed.layer({ entries }),
  DfoEmulator.layer({ employees: employees() })
)

const run = (
  request: AllUsersRequest,
  overrides: Partial<WritebackConfig.WritebackSettings> = {}
) =>
  Effect.gen(function* () {
    const program = yield* F.program(overrides, { directory: { pageSize } })
    return yield* Effect.gen(function* () {
      const writeback = yield* Writeback.Service
      return Chunk.toReadonlyArray(yield* Stream.runCollect(writeback.run(request)))
    }).pipe(Effect.provide(program))
  })

const fresh = Effect.gen(function* () {
  const emulator = yield* DfoEmulator
  emulator.reset()
  return emulator
})

/** Where in the stream of results each outcome first and last appears. */
const positions = (events: ReadonlyArray<WritebackEvent>, outcome: UserResult["outcome"]) => {
  const at = F.users(events).flatMap((u, i) => (u.outcome === outcome ? [i] : []))
  return { first: at[0] ?? -1, last: at[at.length - 1] ?? -1, count: at.length }
}

describe("Writeback: the stages of a run", () => {
  layer(services, { timeout: 120_000 })((it) => {
    it.effect("a dry run streams WOULD_UPDATE as each page is decided, holding no plan", () =>
      Effect.gen(function* () {
        const emulator = yield* fresh
        const events = yield* run(new AllUsersRequest({ logOnly: true, maxUpdates: 0 }))
        const would = positions(events, "WOULD_UPDATE")
        const skipped = positions(events, "SKIPPED")
        assert.strictEqual(would.count, size / 2)
        assert.strictEqual(skipped.count, size / 2)
        // The first page's changes come before the last page's skips: nothing waits for
        // the end of the directory (a plan held until then would put every one last).
        assert.isBelow(would.first, pageSize)
        assert.isBelow(would.first, skipped.last)
        assert.isAbove(would.last, skipped.first)
        assert.strictEqual(F.countBy(emulator, "PUT"), 0)
        // The mass-update guard holds no dry run back: 100 changes over a limit of 5.
        const limited = yield* run(new AllUsersRequest({ logOnly: true, maxUpdates: 5 }))
        assert.strictEqual(positions(limited, "WOULD_UPDATE").count, size / 2)
      })
    )

    it.effect("a real run writes only after the guard has seen the whole plan", () =>
      Effect.gen(function* () {
        const emulator = yield* fresh
        const events = yield* run(new AllUsersRequest({ logOnly: false, maxUpdates: 0 }))
        const updated = positions(events, "UPDATED")
        assert.strictEqual(updated.count, size / 2)
        assert.isAbove(updated.first, positions(events, "SKIPPED").last)
        assert.strictEqual(F.countBy(emulator, "PUT"), size / 2)
      })
    )

    it.effect("over the limit, the guard names every write the tripping page planned", () =>
      Effect.gen(function* () {
        const emulator = yield* fresh
        const tripped = yield* Effect.either(
          run(new AllUsersRequest({ logOnly: false, maxUpdates: 3 }))
        )
        assert.isTrue(Either.isLeft(tripped))
        if (Either.isLeft(tripped) && tripped.left._tag === "MassUpdateGuard") {
          // The first page plans 10 writes; only 4 are held, all 10 are counted.
          assert.strictEqual(tripped.left.planned, pageSize / 2)
          assert.strictEqual(tripped.left.limit, 3)
        } else assert.fail("expected MassUpdateGuard")
        assert.strictEqual(F.countBy(emulator, "PUT"), 0)
      })
    )
  })
})
