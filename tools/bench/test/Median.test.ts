import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { median, medianByKey } from "../src/internal/median.js"

const aSample = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1 })

describe("median", () => {
  it("is the middle value of an odd sample and the mean of the middle two of an even one", () => {
    assert.strictEqual(median([3, 1, 2]), 2)
    assert.strictEqual(median([200, 4.1, 4.3]), 4.3)
    assert.strictEqual(median([4, 1, 3, 2]), 2.5)
    assert.strictEqual(median([7]), 7)
    assert.isUndefined(median([]))
  })

  it.prop("does not depend on the order of the sample", [aSample], ([sample]) => {
    assert.strictEqual(median([...sample].reverse()), median(sample))
  })

  it.prop(
    "has as many values at or below it as at or above it, within the sample's range",
    [aSample],
    ([sample]) => {
      const m = median(sample) as number
      assert.isAtLeast(sample.filter((x) => x <= m).length * 2, sample.length)
      assert.isAtLeast(sample.filter((x) => x >= m).length * 2, sample.length)
      assert.isAtLeast(m, Math.min(...sample))
      assert.isAtMost(m, Math.max(...sample))
    }
  )

  it("takes each key's median over the records that have it", () => {
    assert.deepStrictEqual(
      medianByKey([
        { GET: 1, PUT: 10 },
        { GET: 3, PUT: 30 },
        { GET: 2, PATCH: 5 }
      ]),
      { GET: 2, PUT: 20, PATCH: 5 }
    )
    assert.deepStrictEqual(medianByKey([]), {})
  })
})
