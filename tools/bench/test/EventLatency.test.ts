import { assert, describe, it } from "@effect/vitest"
import { type Arrival, matchPuts, steadyPlan } from "../src/internal/eventLatency.js"

const put = (id: string, time: number, epost = `${id}@uni.no`): Arrival => ({
  method: "PUT",
  path: `/dfo/ansatte/v2/${id}`,
  time,
  body: { epost }
})

describe("matchPuts", () => {
  it("times each event to the first PUT for its id at or after it", () => {
    const matched = matchPuts(
      [
        { id: "00100001", at: 1000, epost: "00100001@uni.no" },
        // Written without leading zeros in the directory; DFØ's path has them.
        { id: "100002", at: 1003.5, epost: "00100002@uni.no" }
      ],
      [
        // An earlier phase's write to the same person is not this event's.
        put("00100001", 900),
        { method: "GET", path: "/dfo/ansatte/v2/00100001", time: 1001 },
        put("00100001", 1004.25),
        put("00100002", 1009)
      ]
    )
    assert.deepStrictEqual(matched, {
      latencies: [4.25, 5.5],
      lastArrival: 1009,
      missing: 0,
      wrong: 0,
      duplicates: 0
    })
  })

  it("counts events without a PUT, PUTs of another value and second PUTs", () => {
    const matched = matchPuts(
      [
        { id: "00100001", at: 1000, epost: "new@uni.no" },
        { id: "00100002", at: 1000, epost: "new2@uni.no" },
        { id: "00100003", at: 1000, epost: "new3@uni.no" }
      ],
      [
        put("00100001", 1002, "old@uni.no"),
        put("00100002", 1003, "new2@uni.no"),
        put("00100002", 1010, "new2@uni.no"),
        // A later phase's write, past `before`.
        put("00100003", 2000, "new3@uni.no")
      ],
      1500
    )
    assert.deepStrictEqual(matched, {
      latencies: [2, 3],
      lastArrival: 1003,
      missing: 1,
      wrong: 1,
      duplicates: 1
    })
  })

  it("reads no latency from no events", () => {
    assert.deepStrictEqual(matchPuts([], [put("00100001", 5)]), {
      latencies: [],
      lastArrival: 0,
      missing: 0,
      wrong: 0,
      duplicates: 0
    })
  })
})

describe("steadyPlan", () => {
  it("runs at half the drained rate, capped, for about ten seconds", () => {
    assert.deepStrictEqual(steadyPlan(1200, 300, 2000), { ratePerSec: 300, events: 2000 })
    assert.deepStrictEqual(steadyPlan(400, 300, 2000), { ratePerSec: 200, events: 2000 })
    assert.deepStrictEqual(steadyPlan(23, 300, 2000), { ratePerSec: 11, events: 110 })
    assert.deepStrictEqual(steadyPlan(400, 300, 300), { ratePerSec: 200, events: 300 })
  })

  it("sends at least one event a second", () => {
    assert.deepStrictEqual(steadyPlan(0, 300, 2000), { ratePerSec: 1, events: 10 })
  })
})
