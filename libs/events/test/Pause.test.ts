// The pause's backoff (CONTRACT §8: consumption pauses while LDAP or DFØ is down), on a
// TestClock: pure, no broker.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, TestClock } from "effect"
import * as Pause from "../src/internal/pause.js"

/** How long (to 200 ms, the pause's check) an `await` begun now waits, the clock moved on in steps. */
const waited = (pause: Pause.Pause) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(pause.await)
    let ms = 0
    for (;;) {
      yield* Effect.yieldNow()
      if (Option.isSome(yield* Fiber.poll(fiber))) return ms
      yield* TestClock.adjust("200 millis")
      ms += 200
    }
  })

describe("Pause", () => {
  it.effect("a wave of failures is one strike; each failed probe doubles the wait", () =>
    Effect.gen(function* () {
      const pause = yield* Pause.make()
      assert.strictEqual(yield* waited(pause), 0)
      // Prefetched runs under way when DFØ went down fail together.
      for (const n of [1, 2, 3, 4]) yield* pause.pause(`DFØ unreachable: run ${n}`)
      assert.deepStrictEqual(yield* pause.reason, Option.some("DFØ unreachable: run 4"))
      const waits: Array<number> = []
      for (let probe = 0; probe < 3; probe++) {
        waits.push(yield* waited(pause))
        yield* pause.pause("DFØ unreachable: the probe")
      }
      // 1 s, 2 s, 4 s, each to within a 200 ms check.
      waits.forEach((ms, i) => assert.approximately(ms, 1000 * 2 ** i, 200, String(waits)))
      // The next probe works: consumption goes on at once.
      yield* waited(pause)
      yield* pause.resume
      assert.deepStrictEqual(yield* pause.reason, Option.none())
      assert.strictEqual(yield* waited(pause), 0)
    })
  )

  it.effect("while the probe runs, every other message waits for its answer", () =>
    Effect.gen(function* () {
      const pause = yield* Pause.make()
      yield* pause.pause("LDAP_CONNECTION_FAILED")
      yield* waited(pause)
      // The probe passed and has not answered: another message does not pass, for all of 30 s.
      const other = yield* Effect.fork(pause.await)
      yield* TestClock.adjust("30 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(other)))
      yield* pause.resume
      yield* TestClock.adjust("200 millis")
      yield* Fiber.join(other)
    })
  )
})
