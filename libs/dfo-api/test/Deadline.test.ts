import { within } from "../src/internal/Deadline.js"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Either, Fiber } from "effect"
import { pause } from "./utils.js"

const expired = () => Effect.fail("expired" as const)

describe("Deadline.within", () => {
  it.live("an attempt that ends first keeps its answer, and the timer never fires", () =>
    Effect.gen(function* () {
      let fired = 0
      const answer = yield* Effect.succeed(42).pipe(
        within(30, () =>
          Effect.zipRight(
            Effect.sync(() => (fired += 1)),
            expired()
          )
        )
      )
      assert.strictEqual(answer, 42)
      const failure = yield* Effect.either(
        Effect.fail("refused" as const).pipe(within(30, expired))
      )
      assert.deepStrictEqual(failure, Either.left("refused"))
      yield* pause(60)
      assert.strictEqual(fired, 0)
    })
  )

  it.live("when the time passes, the attempt is interrupted and fails with the expiry", () =>
    Effect.gen(function* () {
      const interrupted = yield* Deferred.make<void>()
      const result = yield* Effect.either(
        Effect.never.pipe(
          Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)),
          within(20, expired)
        )
      )
      assert.deepStrictEqual(result, Either.left("expired"))
      assert.isTrue(yield* Deferred.isDone(interrupted))
    })
  )

  it.live("interrupting the caller interrupts the attempt at once", () =>
    Effect.gen(function* () {
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(
        Deferred.succeed(started, undefined).pipe(
          Effect.zipRight(Effect.never),
          Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)),
          within(3_600_000, expired)
        )
      )
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(yield* Deferred.isDone(interrupted))
    })
  )
})
