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

  it("--only incremental runs the incremental scenario over the largest directory, 50 entries modified", () => {
    const chosen = (sizes: typeof fullSizes) =>
      select(scenarios(sizes), ["incremental"]).map((s) => [
        s.name,
        s.users,
        s.modified,
        s.params.kind === "full-run" ? s.params.changedSinceSeconds : undefined
      ])
    assert.deepStrictEqual(chosen(fullSizes), [["incremental-50-of-50k", 50_000, 50, 900]])
    assert.deepStrictEqual(chosen(quickSizes), [["incremental-50-of-2k", 2000, 50, 900]])
  })
})
