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
  run(
    names.incremental(50, 50_000),
    { wallMs: 280, cpuMs: 250 },
    { wallMs: 260, cpuMs: 240 },
    { wallMs: 330, cpuMs: 300 }
  ),
  run(names.largeList(50_000, 200_000), { peakRssMb: 310 }, { peakRssMb: 320 }, { peakRssMb: 290 }),
  run(
    names.unchanged(10_000),
    { wallMs: 1700, cpuMs: 1000 },
    { wallMs: 1650, cpuMs: 900 },
    { wallMs: 1800, cpuMs: 1100 }
  ),
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
    { wallMs: 7000, cpuMs: 1700, metrics: { updated: 848 }, dfoRequests: { GET: 849, PUT: 848 } },
    { wallMs: 7100, cpuMs: 1800, metrics: { updated: 848 }, dfoRequests: { GET: 851, PUT: 848 } },
    { wallMs: 7200, cpuMs: 1900, metrics: { updated: 848 }, dfoRequests: { GET: 849, PUT: 848 } }
  ),
  run(names.original(0.01, 10_000), { wallMs: 197_000 }, { wallMs: 380_000 }, { wallMs: 380_000 }),
  run(
    names.grpc(10_000),
    {
      metrics: {
        inProcessP50Ms: 1.5,
        grpcP50Ms: 2,
        grpcP99Ms: 12,
        errors: 0,
        serverRssGrowthPct: 5
      }
    },
    {
      metrics: { inProcessP50Ms: 2, grpcP50Ms: 3, grpcP99Ms: 9, errors: 2, serverRssGrowthPct: 8 }
    },
    {
      metrics: { inProcessP50Ms: 4, grpcP50Ms: 9, grpcP99Ms: 30, errors: 0, serverRssGrowthPct: 6 }
    }
  ),
  run(
    names.eventsRelevant(2_000),
    { metrics: { eventToPutP50Ms: 6, eventToPutP99Ms: 20, eventsPerSec: 450, failedEvents: 0 } },
    { metrics: { eventToPutP50Ms: 7, eventToPutP99Ms: 30, eventsPerSec: 520, failedEvents: 1 } },
    { metrics: { eventToPutP50Ms: 8, eventToPutP99Ms: 29, eventsPerSec: 600, failedEvents: 0 } }
  ),
  run(
    names.eventsIrrelevant(20_000),
    { metrics: { eventsPerSec: 5200, failedEvents: 0 } },
    { metrics: { eventsPerSec: 4900, failedEvents: 0 } },
    { metrics: { eventsPerSec: 5100, failedEvents: 0 } }
  ),
  run(
    names.dfoClient(0),
    { metrics: { c8OverheadUsPerRequest: 50, c32OverheadUsPerRequest: 80 } },
    { metrics: { c8OverheadUsPerRequest: 40, c32OverheadUsPerRequest: 55 } },
    { metrics: { c8OverheadUsPerRequest: 30, c32OverheadUsPerRequest: 59 } }
  )
]

describe("evaluate", () => {
  it("holds issue #21's targets against the medians of one run", () => {
    const { targets } = evaluate(fullSizes, bench)
    const figures = targets.map((t) => [t.name, t.value, t.comparison, t.limit, t.status])
    assert.deepStrictEqual(figures, [
      ["single user in-process, emulator at 0 ms: p50", 2, "<=", 2, "met"],
      ["single user over gRPC, emulator at 0 ms: p50", 3, "<=", 3, "met"],
      ["single user over gRPC, emulator at 0 ms: p99", 12, "<=", 10, "not met"],
      // The larger of the two medians: 59 µs at 32 in flight.
      ["DFØ client overhead per request over raw undici, 0 ms latency", 59, "<=", 60, "met"],
      ["full run, 50000 unchanged: wall / bare ldapts floor", 2, "<=", 2, "met"],
      // 3000 / 1200 ms of CPU.
      ["full run, 50000 unchanged: CPU / bare ldapts floor", 2.5, "<=", 2, "not met"],
      ["peak RSS, full run, 50000", 245, "<=", 200, "not met"],
      [
        "peak RSS, full run, 200000 DFØ employees (full-unchanged-50k-dfo200k)",
        310,
        "<=",
        250,
        "not met"
      ],
      // (1800 − 1000 ms) / 848 updates.
      ["apply: CPU per updated user", 0.94, "<=", 1, "met"],
      // 1700 + 1.2 × (2 × 88 × 20 / 8) = 2228.
      ["1 % to change, 10000 users, 20 ms latency: time", 2300, "<=", 2228, "not met"],
      ["original script's shape / ours, 10000 users, 1 % to change", 165.22, ">=", 150, "met"],
      // Over the in-process p50's median, 2 ms: 2 + 5 and 2 + 25.
      ["event → PUT reaching DFØ, debounce 0, emulator 0 ms: p50", 7, "<=", 7, "met"],
      ["event → PUT reaching DFØ, debounce 0, emulator 0 ms: p99", 29, "<=", 27, "not met"],
      ["relevant SCIM events per second through one server", 520, ">=", 500, "met"],
      ["irrelevant SCIM MODIFY events per second through one server", 5100, ">=", 5000, "met"],
      // 280 / 3000 ms.
      ["incremental run, 50 of 50000 changed: wall / full run unchanged", 0.09, "<=", 0.1, "met"]
    ])
    assert.strictEqual(
      targets[11]?.basis,
      "2 ms in-process single-user p50 (grpc-single-user-10k) + 5 ms"
    )
    assert.strictEqual(
      targets[8]?.basis,
      "(1800 − 1000 ms CPU) / 848 updates (full-change-10pct-10k)"
    )
    assert.strictEqual(targets[9]?.basis, "1700 ms unchanged + 1.2 × (2 × 88 updates × 20 ms / 8)")
    assert.strictEqual(targets[15]?.basis, "280 / 3000 ms wall; CPU 250 / 3000 ms")
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
      // 1700 + 1.2 × (2 × 848 × 20 / 8) = 6788.
      ["10 % to change, 10000 users: time", 7100, 6788, "not met"],
      [
        "10 % to change, 10000 users: DFØ requests (1 list + 848 re-reads + 848 PUTs)",
        1699,
        1697,
        "not met"
      ],
      ["server RSS growth around full runs over gRPC", 8, 20, "met"],
      // The median is 0; the second repetition failed two calls.
      ["single user over gRPC: failed calls", 2, 0, "not met"],
      // The median is 0; the second repetition wrote one event wrongly or not at all.
      ["events-relevant-2k: events not written (or ignored) exactly once", 1, 0, "not met"],
      ["events-irrelevant-20k: events not written (or ignored) exactly once", 0, 0, "met"]
    ])
  })

  it("says which targets a partial run did not measure", () => {
    const partial = evaluate(fullSizes, bench.slice(0, 2))
    assert.deepStrictEqual(
      partial.targets.map((t) => t.status),
      [
        ...Array<string>(4).fill("not measured"),
        "met",
        "not met",
        "not met",
        ...Array<string>(9).fill("not measured")
      ]
    )
    assert.isUndefined(partial.targets[7]?.value)
    assert.strictEqual(partial.targets[7]?.limit, 250)
    assert.deepStrictEqual(partial.checks, [])
    assert.strictEqual(
      partial.targets[11]?.basis,
      "grpc-single-user-10k did not run: no in-process single-user p50 to add 5 ms to"
    )
    assert.deepStrictEqual(partial.ratios, [
      { name: "full run unchanged / bare ldapts (50000)", value: 2, cpu: 2.5 }
    ])
  })
})
