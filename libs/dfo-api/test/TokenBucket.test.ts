import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as TokenBucket from "../src/internal/TokenBucket.js"

describe("TokenBucket", () => {
  it("a burst goes at once; then callers are spaced one refill apart, in order", () => {
    const bucket = TokenBucket.make(5, 2)
    const waits = Array.from({ length: 5 }, () => bucket.take(1_000))
    assert.deepStrictEqual(waits, [0, 0, 200, 400, 600])
  })

  it("refills with time, never above the burst", () => {
    const bucket = TokenBucket.make(10, 3)
    for (let i = 0; i < 3; i++) bucket.take(0)
    assert.strictEqual(bucket.take(0), 100)
    // 100 ms paid the debt; 150 ms more add 1.5 tokens.
    assert.strictEqual(bucket.take(250), 0)
    assert.strictEqual(bucket.take(250), 50)
    // A long quiet spell fills the bucket to its burst only.
    const after = [bucket.take(60_000), bucket.take(60_000), bucket.take(60_000)]
    assert.deepStrictEqual(after, [0, 0, 0])
    assert.strictEqual(bucket.take(60_000), 100)
  })

  it("a token given back (its caller interrupted while waiting) shortens the next wait", () => {
    const bucket = TokenBucket.make(1, 1)
    assert.strictEqual(bucket.take(0), 0)
    assert.strictEqual(bucket.take(0), 1_000)
    assert.strictEqual(bucket.take(0), 2_000)
    bucket.giveBack()
    assert.strictEqual(bucket.take(0), 2_000)
  })

  it("a clock that steps back adds no tokens", () => {
    const bucket = TokenBucket.make(1, 1)
    assert.strictEqual(bucket.take(10_000), 0)
    assert.strictEqual(bucket.take(5_000), 1_000)
    // Time counts from 10 000 on: the tokens are due at 11 000 and 12 000.
    assert.strictEqual(bucket.take(10_500), 1_500)
  })

  it.prop(
    "over any window, no more than burst + rate × window requests go",
    [
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 1, max: 10 }),
      fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 60 })
    ],
    ([perSecond, burst, gaps]) => {
      const bucket = TokenBucket.make(perSecond, burst)
      let now = 0
      const sent: Array<number> = []
      for (const gap of gaps) {
        now += gap
        sent.push(now + bucket.take(now))
      }
      sent.sort((a, b) => a - b)
      for (let i = 0; i < sent.length; i++) {
        for (let j = i; j < sent.length; j++) {
          const window = (sent[j] as number) - (sent[i] as number)
          // +1: Math.ceil rounds each wait up by under a millisecond.
          assert.isAtMost(j - i + 1, burst + Math.floor(((window + 1) * perSecond) / 1000) + 1)
        }
      }
    }
  )
})
