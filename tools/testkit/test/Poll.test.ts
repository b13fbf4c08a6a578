import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Ref, Schedule } from "effect"
import { Poll } from "../src/index.js"

describe("Poll", () => {
  it.live("until checks again until the condition holds, and no more", () =>
    Effect.gen(function* () {
      const checks = yield* Ref.make(0)
      yield* Poll.until(Ref.updateAndGet(checks, (n) => n + 1).pipe(Effect.map((n) => n === 3)), {
        what: "the third check",
        interval: "1 millis"
      })
      assert.strictEqual(yield* Ref.get(checks), 3)
    })
  )

  it.live("some returns the value the check found; a schedule may replace the interval", () =>
    Effect.gen(function* () {
      const checks = yield* Ref.make(0)
      const found = yield* Poll.some(
        Ref.updateAndGet(checks, (n) => n + 1).pipe(
          Effect.map((n) => (n >= 4 ? Option.some(`after ${n}`) : Option.none()))
        ),
        { what: "a value", schedule: Schedule.exponential("1 millis") }
      )
      assert.strictEqual(found, "after 4")
    })
  )

  it.live("a condition that never holds fails with PollTimeout naming it", () =>
    Effect.gen(function* () {
      const error = yield* Poll.until(Effect.succeed(false), {
        what: "the impossible",
        timeout: "100 millis"
      }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "PollTimeout")
      assert.include(error.message, "the impossible")
    })
  )

  it.live("a failing check fails the poll at once, unretried", () =>
    Effect.gen(function* () {
      const checks = yield* Ref.make(0)
      const error = yield* Poll.until(
        Ref.update(checks, (n) => n + 1).pipe(Effect.zipRight(Effect.fail("broken" as const))),
        { what: "anything" }
      ).pipe(Effect.flip)
      assert.strictEqual(error, "broken")
      assert.strictEqual(yield* Ref.get(checks), 1)
    })
  )
})
