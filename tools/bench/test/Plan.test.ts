import { assert, describe, it } from "@effect/vitest"
import { fullSizes, quickSizes, scenarios, select } from "../src/Plan.js"

describe("select", () => {
  it("--only events runs the events group alone, on the broker, at either size", () => {
    const names = (sizes: typeof fullSizes) =>
      select(scenarios(sizes), ["events"]).map((s) => [s.name, s.broker, s.params.kind])
    assert.deepStrictEqual(names(fullSizes), [
      ["events-relevant-2k", true, "events-relevant"],
      ["events-irrelevant-20k", true, "events-irrelevant"]
    ])
    assert.deepStrictEqual(names(quickSizes), [
      ["events-relevant-300", true, "events-relevant"],
      ["events-irrelevant-3k", true, "events-irrelevant"]
    ])
  })
})
