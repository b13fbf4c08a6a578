import { assert, describe, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Exit, Fiber, Stream, TestClock } from "effect"
import * as InFlight from "../src/internal/run/inFlight.js"

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

describe("InFlight.unordered: the apply stage's users in flight", () => {
  it.effect("streams every value as it ends, never more than `concurrency` at once", () =>
    Effect.gen(function* () {
      let running = 0
      let most = 0
      // Later items end sooner, so the order out differs from the order in.
      const f = (i: number) =>
        Effect.acquireUseRelease(
          Effect.sync(() => {
            running += 1
            most = Math.max(most, running)
          }),
          () => Effect.as(Effect.sleep(`${(20 - i) * 10} millis`), i * 2),
          () => Effect.sync(() => void (running -= 1))
        )
      const fiber = yield* Effect.fork(Stream.runCollect(InFlight.unordered(range(20), 3, f)))
      yield* TestClock.adjust("10 seconds")
      const out = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
      assert.deepStrictEqual(
        [...out].sort((a, b) => a - b),
        range(20).map((i) => i * 2)
      )
      assert.notDeepEqual(
        out,
        range(20).map((i) => i * 2),
        "values stream as they end"
      )
      assert.strictEqual(most, 3)
    })
  )

  it.effect("a failure ends the stream with it and interrupts the items in flight", () =>
    Effect.gen(function* () {
      const interrupted: Array<number> = []
      const f = (i: number) =>
        i === 2
          ? Effect.fail(`item ${i} failed`)
          : Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => interrupted.push(i))))
      const exit = yield* Effect.exit(Stream.runDrain(InFlight.unordered(range(10), 4, f)))
      assert.deepStrictEqual(exit, Exit.fail("item 2 failed"))
      assert.deepStrictEqual(interrupted.sort(), [0, 1, 3])
    })
  )

  it.effect("a consumer that stops reading stops the workers: no further item starts", () =>
    Effect.gen(function* () {
      const started: Array<number> = []
      const release = yield* Deferred.make<void>()
      const f = (i: number) =>
        Effect.sync(() => started.push(i)).pipe(
          Effect.zipRight(i < 2 ? Effect.void : Deferred.await(release)),
          Effect.as(i)
        )
      const first = yield* Stream.runCollect(Stream.take(InFlight.unordered(range(100), 2, f), 2))
      assert.deepStrictEqual(Chunk.toReadonlyArray(first), [0, 1])
      yield* Deferred.succeed(release, undefined)
      yield* Effect.yieldNow()
      assert.isAtMost(started.length, 4, `started ${started.join(", ")}`)
    })
  )
})
