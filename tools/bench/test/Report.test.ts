import { assert, describe, it } from "@effect/vitest"
import { defaultRepetitions, fullSizes, names, repetitionsOf, scenarios } from "../src/Plan.js"
import { result } from "./fixtures.js"

describe("resultOf", () => {
  it("reports each figure's median over the repetitions and keeps every repetition", () => {
    const repetitions = [
      {
        wallMs: 5000,
        cpuMs: 4100,
        peakRssMb: 300,
        dfoRequests: { GET: 89, PUT: 88 },
        retries: 2,
        metrics: { updated: 88, logLines: 90 }
      },
      {
        wallMs: 2000,
        cpuMs: 1900,
        peakRssMb: 420,
        dfoRequests: { GET: 89, PUT: 88 },
        retries: 0,
        metrics: { updated: 88, logLines: 90 }
      },
      {
        wallMs: 2500,
        cpuMs: 2050,
        peakRssMb: 310,
        dfoRequests: { GET: 91, PUT: 88 },
        retries: 0,
        metrics: { updated: 88, logLines: 92 }
      }
    ]
    const row = result(fullSizes, names.change(0.01, 10_000), repetitions)
    assert.strictEqual(row.wallMs, 2500)
    assert.strictEqual(row.cpuMs, 2050)
    assert.strictEqual(row.peakRssMb, 310)
    assert.strictEqual(row.users, 10_000)
    assert.strictEqual(row.usersPerSec, 4000)
    assert.deepStrictEqual(row.dfoRequests, { GET: 89, PUT: 88 })
    assert.strictEqual(row.retries, 0)
    assert.deepStrictEqual(row.metrics, { updated: 88, logLines: 90 })
    assert.deepStrictEqual(
      row.repetitions.map((r) => [r.wallMs, r.cpuMs]),
      [
        [5000, 4100],
        [2000, 1900],
        [2500, 2050]
      ]
    )
  })
})

describe("the plan", () => {
  it("runs a directory of the largest size against DFØ's large list, nothing to change", () => {
    const spec = scenarios(fullSizes).find((s) => s.name === "full-unchanged-50k-dfo200k")
    assert.strictEqual(spec?.users, 50_000)
    assert.deepStrictEqual(spec?.dfo, { changeShare: 0, latencyMs: 0, listSize: 200_000 })
  })

  it("runs every scenario three times by default, the original's shape as often as asked", () => {
    const all = scenarios(fullSizes)
    const original = all.find((s) => s.group === "original")
    assert.isDefined(original)
    if (original === undefined) return
    assert.strictEqual(repetitionsOf(original, defaultRepetitions), 3)
    assert.strictEqual(repetitionsOf(original, { all: 3, original: 1 }), 1)
    assert.isTrue(
      all
        .filter((s) => s !== original)
        .every((s) => repetitionsOf(s, { all: 3, original: 1 }) === 3)
    )
  })
})
