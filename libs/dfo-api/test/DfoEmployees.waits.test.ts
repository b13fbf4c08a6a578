import { type DfoEmployees } from "../src/index.js"
import { assert, layer } from "@effect/vitest"
import { Chunk, Effect, Fiber, Option, TestClock, TestContext } from "effect"
import {
  client,
  emulatorLayer,
  failureOf,
  foundEmployee,
  received,
  setup,
  waitFor,
  pause
} from "./utils.js"

/**
 * Per-attempt deadlines run on a real timer (internal/Deadline), not the TestClock: an hour
 * keeps them from firing during a test, so every TestClock sleep is a wait under test.
 */
const TIMEOUT_MS = 3_600_000

/** Runs a test with a client under a TestClock of its own, starting at 0 (the epoch). */
const underTestClock =
  (options: Partial<DfoEmployees.DfoEmployeesOptions> = {}) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(
      Effect.provide(client({ timeoutMs: TIMEOUT_MS, ...options })),
      Effect.provide(TestContext.TestContext)
    )

/** The pending wake-up times (TestClock milliseconds), sorted. */
const pendingWaits = Effect.map(TestClock.sleeps(), (sleeps) =>
  Chunk.toArray(sleeps).sort((a, b) => a - b)
)

/** Polls in real time until `count` waits are pending; answers them. */
const waitsPending = (count: number) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 5_000
    for (;;) {
      const waits = yield* pendingWaits
      if (waits.length >= count) return waits
      if (Date.now() > deadline) return yield* Effect.dieMessage(`${count} waits not pending`)
      yield* pause()
    }
  })

const statuses = (emu: Parameters<typeof received>[0]) =>
  received(emu).map((e) => `${e.method} ${e.path} ${e.status}`)

// The TestClock starts at 0 (epoch): an `X-Rate-Limit-Reset: 1500` is due 1 500 ms later.
// Every wait is asserted exactly, and time moves only when a test moves it.
layer(emulatorLayer, { excludeTestServices: true })("DfoEmployees waits (TestClock)", (it) => {
  it.effect("X-Rate-Limit-Reset (epoch ms) is honoured: the retry goes at the reset", () =>
    Effect.gen(function* () {
      const { emu, dfo, counted } = yield* setup
      emu.script({ path: "/00100001", status: 429, headers: { "X-Rate-Limit-Reset": "1500" } })
      const fiber = yield* Effect.fork(dfo.get("00100001"))
      assert.deepStrictEqual(yield* waitsPending(1), [1_500])
      yield* TestClock.adjust(1_499)
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      assert.deepStrictEqual(statuses(emu), ["GET /00100001 429"])
      yield* TestClock.adjust(1)
      assert.strictEqual(foundEmployee(yield* Fiber.join(fiber)).id, "00100001")
      assert.deepStrictEqual(statuses(emu), ["GET /00100001 429", "GET /00100001 200"])
      const stats = yield* counted
      assert.strictEqual(stats.rateLimited, 1)
      assert.strictEqual(stats.retries, 1)
    }).pipe(underTestClock())
  )

  it.effect("Retry-After in seconds and as an HTTP date; it wins over X-Rate-Limit-Reset", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.script(
        { path: "/00100001", status: 429, headers: { "Retry-After": "1" } },
        {
          path: "/00100001",
          status: 503,
          headers: { "Retry-After": "Thu, 01 Jan 1970 00:00:04 GMT" }
        },
        {
          path: "/00100001",
          status: 429,
          headers: { "Retry-After": "2", "X-Rate-Limit-Reset": "60000" }
        }
      )
      const fiber = yield* Effect.fork(dfo.get("00100001"))
      assert.deepStrictEqual(yield* waitsPending(1), [1_000])
      yield* TestClock.adjust(1_000)
      // The date is 4 s after the epoch; the clock is at 1 s.
      yield* waitFor(() => emu.log().length === 2)
      assert.deepStrictEqual(yield* waitsPending(1), [4_000])
      yield* TestClock.adjust(3_000)
      yield* waitFor(() => emu.log().length === 3)
      assert.deepStrictEqual(yield* waitsPending(1), [6_000])
      yield* TestClock.adjust(2_000)
      assert.strictEqual((yield* Fiber.join(fiber))._tag, "Found")
      assert.deepStrictEqual(
        emu.log().map((e) => e.status),
        [429, 503, 429, 200]
      )
    }).pipe(underTestClock())
  )

  it.effect("429 without Retry-After: exponential, jittered backoff", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.script({ method: "GET", path: "", status: 429, times: 2 })
      const fiber = yield* Effect.fork(dfo.list())
      const [first = 0] = yield* waitsPending(1)
      // retryBaseMs 100, jittered by 0.8–1.2.
      assert.isAtLeast(first, 80)
      assert.isAtMost(first, 120)
      yield* TestClock.adjust(first)
      yield* waitFor(() => emu.log().length === 2)
      const [second = 0] = yield* waitsPending(1)
      assert.isAtLeast(second - first, 160)
      assert.isAtMost(second - first, 240)
      yield* TestClock.adjust(second - first)
      assert.isAbove((yield* Fiber.join(fiber)).size, 0)
      assert.deepStrictEqual(statuses(emu), ["GET  429", "GET  429", "GET  200"])
    }).pipe(underTestClock({ retryBaseMs: 100 }))
  )

  it.effect("X-Rate-Limit-Reset on a 503 is the window's reset, not a wait: backoff applies", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.script({ path: "/00100001", status: 503, headers: { "X-Rate-Limit-Reset": "600000" } })
      const fiber = yield* Effect.fork(dfo.get("00100001"))
      const [wait = 0] = yield* waitsPending(1)
      // retryBaseMs 100, jittered by 0.8–1.2: the backoff, not the reset 600 s away.
      assert.isAtMost(wait, 120)
      yield* TestClock.adjust(wait)
      assert.strictEqual((yield* Fiber.join(fiber))._tag, "Found")
      assert.deepStrictEqual(statuses(emu), ["GET /00100001 503", "GET /00100001 200"])
    }).pipe(underTestClock({ retryBaseMs: 100 }))
  )

  it.effect("an absurd wait ends the retries at once, and the error carries it", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.script({ path: "/00100001", status: 429, headers: { "X-Rate-Limit-Reset": "600000" } })
      const error = failureOf(yield* Effect.exit(dfo.get("00100001")))
      assert.strictEqual(error.status, 429)
      assert.strictEqual(error.attempts, 1)
      assert.isTrue(error.transient)
      assert.strictEqual(error.retryAfterMs, 600_000)
      assert.match(error.reason, /rate limited by the gateway \(X-Rate-Limit-Reset 600000\)/)
      assert.deepStrictEqual(yield* pendingWaits, [])
      assert.deepStrictEqual(statuses(emu), ["GET /00100001 429"])
    }).pipe(underTestClock())
  )

  it.effect(
    "a write's 429 carries X-Rate-Limit-Reset as retryAfterMs; retrySchedule waits for it",
    () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        emu.script({
          method: "PUT",
          path: "/00100002",
          status: 429,
          headers: { "X-Rate-Limit-Reset": "2500" }
        })
        const once = failureOf(
          yield* Effect.exit(dfo.write("00100002", { epost: "w@uni.example.no" }))
        )
        assert.isTrue(once.transient)
        assert.strictEqual(once.retryAfterMs, 2_500)
        assert.strictEqual(once.attempts, 1)
        // The client itself never waits to send a write again.
        assert.deepStrictEqual(yield* pendingWaits, [])

        emu.script({
          method: "PUT",
          path: "/00100002",
          status: 429,
          headers: { "X-Rate-Limit-Reset": "2500" }
        })
        const fiber = yield* Effect.fork(
          dfo.write("00100002", { epost: "w@uni.example.no" }).pipe(Effect.retry(dfo.retrySchedule))
        )
        assert.deepStrictEqual(yield* waitsPending(1), [2_500])
        yield* TestClock.adjust(2_500)
        assert.strictEqual(Option.getOrThrow(yield* Fiber.join(fiber)).epost, "w@uni.example.no")
        assert.deepStrictEqual(received(emu), [
          { method: "PUT", path: "/00100002", status: 429, body: { epost: "w@uni.example.no" } },
          { method: "PUT", path: "/00100002", status: 429, body: { epost: "w@uni.example.no" } },
          { method: "PUT", path: "/00100002", status: 200, body: { epost: "w@uni.example.no" } }
        ])
      }).pipe(underTestClock())
  )

  it.effect("the client's rate limit holds across concurrent callers", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      const fiber = yield* Effect.fork(
        Effect.all(
          Array.from({ length: 6 }, () => dfo.get("00100001")),
          { concurrency: "unbounded" }
        )
      )
      // Five a second with a burst of one: one at once, then one every 200 ms (the
      // bucket's refill is the one pending wait).
      yield* waitFor(() => emu.log().length === 1)
      for (let sent = 2; sent <= 6; sent++) {
        yield* waitsPending(1)
        yield* TestClock.adjust(199)
        yield* pause(20)
        assert.strictEqual(emu.log().length, sent - 1)
        yield* TestClock.adjust(1)
        yield* waitFor(() => emu.log().length === sent)
      }
      assert.strictEqual((yield* Fiber.join(fiber)).length, 6)
    }).pipe(underTestClock({ maxRps: 5, burst: 1 }))
  )
})
