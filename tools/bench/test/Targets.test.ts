import { assert, describe, it } from "@effect/vitest"
import { fullSizes, names } from "../src/Plan.js"
import { evaluate } from "../src/Targets.js"
import { result } from "./fixtures.js"

const run = (name: string, ...repetitions: Parameters<typeof result>[2]) =>
  result(fullSizes, name, repetitions)

/** A full bench's rows, each with three repetitions and one outlier among them. */
const bench = [
  run(
    names.ldapts(50_000),
    { wallMs: 1500, cpuMs: 1200 },
    { wallMs: 1600, cpuMs: 1300 },
    { wallMs: 1400, cpuMs: 1100 }
  ),
  // Median 3000 (2 × the floor's 1500, met); the mean, 4966, would be 3.3 ×.
  run(
    names.unchanged(50_000),
    { wallMs: 9000, cpuMs: 4000, peakRssMb: 240 },
    { wallMs: 3000, cpuMs: 3000, peakRssMb: 260 },
    { wallMs: 2900, cpuMs: 2900, peakRssMb: 245 }
  ),
  run(names.largeList(50_000, 200_000), { peakRssMb: 310 }, { peakRssMb: 320 }, { peakRssMb: 290 }),
  run(names.unchanged(10_000), { wallMs: 1700 }, { wallMs: 1650 }, { wallMs: 1800 }),
  run(
    names.change(0.01, 10_000),
    ...[2300, 2250, 2400].map((wallMs) => ({
      wallMs,
      metrics: { updated: 88 },
      dfoRequests: { GET: 89, PUT: 88 }
    }))
  ),
  run(
    names.change(0.1, 10_000),
    { wallMs: 7000, metrics: { updated: 848 }, dfoRequests: { GET: 849, PUT: 848 } },
    { wallMs: 7100, metrics: { updated: 848 }, dfoRequests: { GET: 851, PUT: 848 } },
    { wallMs: 7200, metrics: { updated: 848 }, dfoRequests: { GET: 849, PUT: 848 } }
  ),
  run(names.original(0.01, 10_000), { wallMs: 197_000 }, { wallMs: 380_000 }, { wallMs: 380_000 }),
  run(
    names.grpc(10_000),
    { metrics: { grpcP50Ms: 4, grpcP99Ms: 25, errors: 0, serverRssGrowthPct: 5 } },
    { metrics: { grpcP50Ms: 5, grpcP99Ms: 19, errors: 2, serverRssGrowthPct: 8 } },
    { metrics: { grpcP50Ms: 9, grpcP99Ms: 30, errors: 0, serverRssGrowthPct: 6 } }
  ),
  run(
    names.dfoClient(0),
    { metrics: { c8OverheadUsPerRequest: 90, c32OverheadUsPerRequest: 120 } },
    { metrics: { c8OverheadUsPerRequest: 80, c32OverheadUsPerRequest: 95 } },
    { metrics: { c8OverheadUsPerRequest: 70, c32OverheadUsPerRequest: 99 } }
  )
]

describe("evaluate", () => {
  it("holds issue #13's targets against the medians of one run", () => {
    const { targets } = evaluate(fullSizes, bench)
    const figures = targets.map((t) => [t.name, t.value, t.comparison, t.limit, t.status])
    assert.deepStrictEqual(figures, [
      ["full run, 50000 unchanged: wall and CPU / bare ldapts floor", 2, "<=", 2, "met"],
      ["peak RSS, full run, 50000", 245, "<=", 250, "met"],
      [
        "peak RSS, full run, 200000 DFØ employees (full-unchanged-50k-dfo200k)",
        310,
        "<=",
        300,
        "not met"
      ],
      // 1700 + 1.5 × (2 × 88 × 20 / 8) = 2360.
      ["1 % to change, 10000 users, 20 ms latency: time", 2300, "<=", 2360, "met"],
      ["original script's shape / ours, 10000 users, 1 % to change", 165.22, ">=", 150, "met"],
      ["single user over gRPC, emulator at 0 ms: p50", 5, "<=", 5, "met"],
      ["single user over gRPC, emulator at 0 ms: p99", 25, "<=", 20, "not met"],
      // The larger of the two medians: 99 µs at 32 in flight.
      ["DFØ client overhead per request over raw undici, 0 ms latency", 99, "<=", 100, "met"]
    ])
    // CPU beside wall: 3000 / 1200 ms.
    assert.strictEqual(targets[0]?.basis, "wall; CPU 2.5 ×")
    assert.strictEqual(targets[3]?.basis, "1700 ms unchanged + 1.5 × (2 × 88 updates × 20 ms / 8)")
  })

  it("holds each check for every repetition, showing the worst", () => {
    const { checks } = evaluate(fullSizes, bench)
    const figures = checks.map((t) => [t.name, t.value, t.limit, t.status])
    assert.deepStrictEqual(figures, [
      [
        "1 % to change, 10000 users: DFØ requests (1 list + 88 re-reads + 88 PUTs)",
        177,
        177,
        "met"
      ],
      // 1700 + 1.5 × (2 × 848 × 20 / 8) = 8060.
      ["10 % to change, 10000 users: time", 7100, 8060, "met"],
      [
        "10 % to change, 10000 users: DFØ requests (1 list + 848 re-reads + 848 PUTs)",
        1699,
        1697,
        "not met"
      ],
      ["server RSS growth around full runs over gRPC", 8, 20, "met"],
      // The median is 0; the second repetition failed two calls.
      ["single user over gRPC: failed calls", 2, 0, "not met"]
    ])
  })

  it("says which targets a partial run did not measure", () => {
    const partial = evaluate(fullSizes, bench.slice(0, 2))
    assert.deepStrictEqual(
      partial.targets.map((t) => t.status),
      ["met", "met", ...Array<string>(6).fill("not measured")]
    )
    assert.isUndefined(partial.targets[2]?.value)
    assert.strictEqual(partial.targets[2]?.limit, 300)
    assert.deepStrictEqual(partial.checks, [])
    assert.deepStrictEqual(partial.ratios, [
      { name: "full run unchanged / bare ldapts (50000)", value: 2, cpu: 2.5 }
    ])
  })
})
