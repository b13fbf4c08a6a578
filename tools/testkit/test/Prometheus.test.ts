import { assert, describe, it } from "@effect/vitest"
import { Prometheus } from "../src/index.js"

const scrape = [
  "# HELP runs_total Runs by result",
  "# TYPE runs_total counter",
  'runs_total{kind="all",result="done"} 2',
  'runs_total{kind="single",result="done",note="a \\"b\\"\\nc"} 3',
  'latency_bucket{le="+Inf"} 5',
  "up 1"
].join("\n")

describe("Prometheus", () => {
  it("reads samples with their labels, escapes and infinities", () => {
    const samples = Prometheus.parse(scrape)
    assert.strictEqual(samples.length, 4)
    assert.deepStrictEqual(samples[1]?.labels, { kind: "single", result: "done", note: 'a "b"\nc' })
    assert.strictEqual(samples[2]?.labels["le"], "+Inf")
    assert.strictEqual(Prometheus.total(samples, "runs_total"), 5)
    assert.strictEqual(Prometheus.total(samples, "runs_total", { kind: "all" }), 2)
  })

  it("refuses a line that is neither a sample nor a HELP/TYPE/UNIT comment", () => {
    assert.throws(() => Prometheus.parse("# NOPE x"), /not a Prometheus comment line/)
    assert.throws(() => Prometheus.parse("bad line here"), /not a Prometheus sample line/)
  })
})
