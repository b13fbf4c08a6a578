import { type Candidate, type DfoEmployee, MassUpdateGuard } from "@dfo-writeback/domain"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Either, Stream } from "effect"
import type { Planned } from "../src/internal/run/planned.js"
import * as Guard from "../src/internal/run/guard.js"
import type { Step } from "../src/internal/run/decide.js"

const planned = (i: number): Planned => {
  const sapId = String(100000 + i)
  const candidate: Candidate = {
    sapId,
    key: sapId,
    record: { eksternIdent: `u${i}@uni.no`, epost: `u${i}@uni.no` },
    user: {
      dn: `idautoID=u${i}`,
      idautoId: `u${i}`,
      sapId,
      disabled: false,
      deleted: false,
      entitlements: [],
      businessRoles: [],
      multiValued: []
    }
  }
  const employee: DfoEmployee = { id: sapId, hasBrukerident: true }
  return { candidate, employee }
}

const steps = (n: number, end: ReadonlyArray<Step>): Stream.Stream<Step> =>
  Stream.fromIterable<Step>([
    ...Array.from({ length: n }, (_, i): Step => ({ _tag: "Planned", planned: planned(i) })),
    ...end
  ])
const complete: Step = { _tag: "Complete", claimedLater: () => undefined }

describe("the mass-update guard", () => {
  it("holds at most limit + 1 planned writes, and counts every one", () => {
    let plan = Guard.emptyPlan
    for (let i = 0; i < 500; i++) plan = Guard.hold(plan, planned(i), 3)
    assert.strictEqual(plan.count, 500)
    assert.strictEqual(Chunk.size(plan.planned), 4)
  })

  it("the limit is the lower of the setting and the request's, when the request gives one", () => {
    assert.strictEqual(Guard.limits(1000, 0).limit, 1000)
    assert.strictEqual(Guard.limits(1000, 5).limit, 5)
    assert.strictEqual(Guard.limits(3, 5).limit, 3)
  })

  it.effect("within the limit: results pass at once, the whole plan is cleared at the end", () =>
    Effect.gen(function* () {
      const out = yield* Stream.runCollect(Guard.guard(Guard.limits(10, 0))(steps(10, [complete])))
      const [cleared] = Chunk.toReadonlyArray(out)
      assert.strictEqual(cleared?._tag, "Plan")
      if (cleared?._tag === "Plan") assert.strictEqual(Chunk.size(cleared.planned), 10)
    })
  )

  it.effect("over the limit: trips at the checkpoint, naming every write planned so far", () =>
    Effect.gen(function* () {
      const limits = Guard.limits(1000, 2)
      const tripped = yield* Effect.either(
        Stream.runCollect(Guard.guard(limits)(steps(250, [{ _tag: "Checkpoint" }, complete])))
      )
      assert.isTrue(Either.isLeft(tripped))
      if (Either.isLeft(tripped)) {
        assert.instanceOf(tripped.left, MassUpdateGuard)
        assert.strictEqual(tripped.left.planned, 250)
        assert.strictEqual(tripped.left.limit, 2)
        assert.strictEqual(tripped.left.configuredLimit, 1000)
        assert.strictEqual(tripped.left.requestLimit, 2)
      }
    })
  )

  it.effect(
    "a write a later claim withdrew is not counted: a plan back at the limit is cleared",
    () =>
      Effect.gen(function* () {
        const plan = (i: number): Step => ({ _tag: "Planned", planned: planned(i) })
        const out = yield* Stream.runCollect(
          Guard.guard(Guard.limits(1000, 3))(
            Stream.fromIterable<Step>([
              plan(0),
              plan(1),
              plan(2),
              { _tag: "Checkpoint" },
              { _tag: "Withdrawn", count: 1 },
              plan(3),
              { _tag: "Checkpoint" },
              complete
            ])
          )
        )
        const [cleared] = Chunk.toReadonlyArray(out)
        assert.strictEqual(cleared?._tag, "Plan")
        // The withdrawn write stays in the plan: apply reports it a duplicate, unwritten.
        if (cleared?._tag === "Plan") assert.strictEqual(Chunk.size(cleared.planned), 4)
      })
  )

  it.effect("a reviewed plan over maxUpdates is refused; without maxUpdates, any size goes", () =>
    Effect.gen(function* () {
      const refused = yield* Effect.either(Guard.reviewed(5, 4, 1000))
      assert.isTrue(Either.isLeft(refused) && refused.left.planned === 5)
      assert.isTrue(Either.isRight(yield* Effect.either(Guard.reviewed(5000, 0, 1000))))
    })
  )
})
