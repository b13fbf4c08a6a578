import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, TestClock } from "effect"
import * as PersonGate from "../src/internal/personGate.js"

/** Yields until `holds`, at most 200 times. */
const eventually = (holds: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 200 && !holds(); i++) yield* Effect.yieldNow()
  })

describe("PersonGate: one run per person per burst", () => {
  it.scoped(
    "with no debounce, the submissions of one tick share a run, and a later one waits for the next",
    () =>
      Effect.gen(function* () {
        const runs: Array<string> = []
        const release = yield* Deferred.make<void>()
        const gate = yield* PersonGate.make("0 millis", (key: string) =>
          Effect.sync(() => runs.push(key)).pipe(
            Effect.zipRight(Deferred.await(release)),
            Effect.as(runs.length)
          )
        )
        const burst = yield* Effect.fork(
          Effect.all([gate.submit("a", "a"), gate.submit("a", "a"), gate.submit("b", "b")], {
            concurrency: "unbounded"
          })
        )
        yield* eventually(() => runs.length === 2)
        assert.deepStrictEqual(runs.sort(), ["a", "b"], "both people's runs started")
        // Arrives while a's run is under way: waits for a run of its own after it.
        const late = yield* Effect.fork(gate.submit("a", "a"))
        yield* eventually(() => runs.length > 2)
        assert.strictEqual(runs.length, 2, "a person's runs never overlap")
        yield* Deferred.succeed(release, undefined)
        const [first, second] = yield* Fiber.join(burst)
        assert.strictEqual(first, second, "one run answered both submissions of the burst")
        yield* Fiber.join(late)
        assert.deepStrictEqual(runs.filter((key) => key === "a").length, 2)
      })
  )

  it.scoped("with a debounce, a burst within it becomes one run", () =>
    Effect.gen(function* () {
      const runs: Array<string> = []
      const gate = yield* PersonGate.make("100 millis", (key: string) =>
        Effect.sync(() => runs.push(key))
      )
      const first = yield* Effect.fork(gate.submit("a", "a"))
      yield* TestClock.adjust("50 millis")
      const second = yield* Effect.fork(gate.submit("a", "a"))
      yield* TestClock.adjust("60 millis")
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      assert.deepStrictEqual(runs, ["a"])
    })
  )
})
