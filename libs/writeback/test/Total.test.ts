// RunOptions.onTotal: a run tells its size once it knows it (a CLI's progress and estimate).
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { AllUsersRequest, SingleUserRequest } from "@dfo-writeback/domain"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer, Ref, Stream } from "effect"
import { Writeback } from "../src/index.js"
import * as F from "./fixtures.js"

/** 30 entries, every third disabled, the rest each with a change. */
const size = 30
const payrollId = (i: number) => String(500000 + i).padStart(8, "0")
const entries = Array.from({ length: size }, (_, i) =>
  F.person(`total${i}`, payrollId(i), i % 3 === 2 ? { idautoDisabled: "TRUE" } : {})
)

const services = Layer.mergeAll(
  LdapTestbed.layer({ entries }),
  DfoEmulator.layer({
    employees: Array.from({ length: size }, (_, i) =>
      makeEmployee({ id: payrollId(i), eksternIdent: null })
    )
  })
)

/**
 * The totals told, and for each the number of users the stream had delivered by then
 * (the results before the writes, in a real full run).
 */
const told = (request: AllUsersRequest | SingleUserRequest) =>
  Effect.gen(function* () {
    const emulator = yield* DfoEmulator
    emulator.reset()
    const program = yield* F.program()
    const seen = yield* Ref.make(0)
    const totals = yield* Ref.make<ReadonlyArray<{ users: number; seen: number }>>([])
    yield* Effect.gen(function* () {
      const writeback = yield* Writeback.Service
      yield* Stream.runForEach(
        writeback.run(request, {
          onTotal: (users) =>
            Effect.flatMap(Ref.get(seen), (n) =>
              Ref.update(totals, (list) => [...list, { users, seen: n }])
            )
        }),
        (event) => (event._tag === "UserResult" ? Ref.update(seen, (n) => n + 1) : Effect.void)
      )
    }).pipe(Effect.provide(program))
    return yield* Ref.get(totals)
  })

describe("Writeback: RunOptions.onTotal", () => {
  layer(services, { timeout: 120_000 })((it) => {
    it.effect("a full run tells its size once, when its plan is complete, before any write", () =>
      Effect.gen(function* () {
        const totals = yield* told(new AllUsersRequest({ logOnly: false, maxUpdates: 0 }))
        // The 10 disabled were decided in the plan stage; the 20 writes follow the total.
        assert.deepStrictEqual(totals, [{ users: size, seen: size / 3 }])
      })
    )

    it.effect("a dry run tells it too; a single-user run does not", () =>
      Effect.gen(function* () {
        const dry = yield* told(new AllUsersRequest({ logOnly: true, maxUpdates: 0 }))
        assert.deepStrictEqual(
          dry.map((t) => t.users),
          [size]
        )
        const single = yield* told(
          new SingleUserRequest({ keyField: "username", keyValue: "total0", logOnly: true })
        )
        assert.deepStrictEqual(single, [])
      })
    )
  })
})
