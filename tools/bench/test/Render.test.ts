import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as prettier from "prettier"
import { fileURLToPath } from "node:url"
import { fullSizes, names } from "../src/Plan.js"
import { endMarker, markdown, replaceBetweenMarkers, startMarker } from "../src/Render.js"
import type { Report } from "../src/Report.js"
import { evaluate } from "../src/Targets.js"
import { result } from "./fixtures.js"

const scenarios = [
  result(fullSizes, names.ldapts(50_000), [
    { wallMs: 1500, cpuMs: 1200 },
    { wallMs: 1600, cpuMs: 1250 },
    { wallMs: 1400, cpuMs: 1000 }
  ]),
  result(fullSizes, names.unchanged(50_000), [
    {
      wallMs: 2900,
      cpuMs: 2600,
      peakRssMb: 260,
      dfoRequests: { GET: 1 },
      retries: 0,
      metrics: { total: 50_000 }
    },
    {
      wallMs: 3000,
      cpuMs: 2400,
      peakRssMb: 240,
      dfoRequests: { GET: 1 },
      retries: 0,
      metrics: { total: 50_000 }
    },
    {
      wallMs: 9000,
      cpuMs: 3000,
      peakRssMb: 245,
      dfoRequests: { GET: 1 },
      retries: 0,
      metrics: { total: 50_000 }
    }
  ]),
  result(fullSizes, names.original(0.01, 10_000), [{ wallMs: 197_000 }])
]

const report: Report = {
  mode: "full",
  machine: {
    cpuModel: "AMD EPYC",
    cpuCount: 2,
    totalMemGb: 23.5,
    node: "v20.20.2",
    loadAverage: [2, 1.5, 1],
    commit: "abc1234",
    date: "2026-11-30T07:00:00.000Z"
  },
  totalWallMs: 1_000_000,
  repetitions: { all: 3, original: 1 },
  scenarios,
  ...evaluate(fullSizes, scenarios),
  failures: []
}

const doc = `# Benchmarks\n\nBefore.\n\n${startMarker}\n\nold figures\n\n${endMarker}\n\nAfter.\n`

describe("markdown", () => {
  it("shows each scenario's medians and runs, then issue #21's targets, met or not", () => {
    const text = markdown(report)
    assert.include(text, "Each scenario ran 3 times (the original's shape once)")
    const row = (name: string) => text.split("\n").find((line) => line.startsWith(`| ${name} `))
    assert.match(
      row(names.unchanged(50_000)) ?? "",
      /\| +3 \| 50000 \| +3\.00 \| +2\.60 \| +16667 \| +245 \| +1 \/ 0 \| +0 \|$/
    )
    assert.match(row(names.original(0.01, 10_000)) ?? "", /\| +1 \| 10000 \| +197\.0 \| +0\.80 \|/)
    // Wall and CPU are each held to the limit: 3000 / 1500 ms wall, 2600 / 1200 ms CPU.
    assert.match(
      row("full run, 50000 unchanged: wall / bare ldapts floor") ?? "",
      /\| +2 × \| +<= 2 × \| yes +\|/
    )
    assert.match(
      row("full run, 50000 unchanged: CPU / bare ldapts floor") ?? "",
      /\| +2\.17 × \| +<= 2 × \| \*\*no\*\* +\|/
    )
    assert.match(row("full run unchanged / bare ldapts (50000)") ?? "", /\| +2 × \| +2\.17 × \|$/)
    assert.match(row("peak RSS, full run, 50000") ?? "", /\| +245 MB \| +<= 200 MB \| \*\*no\*\* /)
    assert.match(
      row("single user over gRPC, emulator at 0 ms: p50") ?? "",
      /\| +– \| +<= 3 ms \| not measured /
    )
    assert.include(text, "- full-unchanged-50k: total 50000")
  })

  it.effect("puts it between the doc's markers as Prettier would format it", () =>
    Effect.gen(function* () {
      const updated = replaceBetweenMarkers(doc, markdown(report))
      assert.isTrue(updated.startsWith(`# Benchmarks\n\nBefore.\n\n${startMarker}\n\nMeasured`))
      assert.isTrue(updated.endsWith(`\n\n${endMarker}\n\nAfter.\n`))
      assert.notInclude(updated, "old figures")
      const file = fileURLToPath(new URL("../../../docs/benchmarks.md", import.meta.url))
      const options = yield* Effect.promise(() => prettier.resolveConfig(file))
      const formatted = yield* Effect.promise(() =>
        prettier.format(updated, { ...options, filepath: file })
      )
      assert.strictEqual(formatted, updated)
    })
  )

  it("appends the markers to a doc that has none", () => {
    assert.strictEqual(
      replaceBetweenMarkers("# Benchmarks\n", "figures"),
      `# Benchmarks\n\n${startMarker}\n\nfigures\n\n${endMarker}\n`
    )
  })
})
