import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  countResult,
  countsAddUp,
  emptyCounts,
  UserResult,
  type ErrorCode,
  type Outcome
} from "../src/index.js"

const result = (outcome: Outcome, errorCode?: ErrorCode) =>
  new UserResult({
    idautoId: "id",
    username: "",
    uhUsername: "",
    sapId: "",
    outcome,
    ...(errorCode === undefined ? {} : { errorCode }),
    changes: [],
    keptFields: [],
    message: ""
  })

describe("run counters", () => {
  it("counts each outcome in its counter; failures by error code", () => {
    const counts = [
      result("SKIPPED"),
      result("UNCHANGED"),
      result("UPDATED"),
      result("WOULD_UPDATE"),
      result("FAILED", "SAP_UPDATE_FAILED"),
      result("FAILED", "SAP_FETCH_FAILED"),
      result("FAILED", "SAP_FETCH_FAILED")
    ].reduce(countResult, emptyCounts)
    assert.deepStrictEqual(counts, {
      total: 7,
      skipped: 1,
      unchanged: 1,
      updated: 1,
      wouldUpdate: 1,
      updateFailed: 1,
      fetchFailed: 2
    })
  })

  const anOutcome = fc.constantFrom<[Outcome, ErrorCode | undefined]>(
    ["SKIPPED", undefined],
    ["UNCHANGED", undefined],
    ["UPDATED", undefined],
    ["WOULD_UPDATE", undefined],
    ["FAILED", "SAP_UPDATE_FAILED"],
    ["FAILED", "SAP_FETCH_FAILED"]
  )

  it.prop(
    "total = skipped + unchanged + updated + would_update + update_failed + fetch_failed",
    [fc.array(anOutcome)],
    ([outcomes]) => {
      const counts = outcomes.map(([o, c]) => result(o, c)).reduce(countResult, emptyCounts)
      assert.isTrue(countsAddUp(counts))
      assert.strictEqual(counts.total, outcomes.length)
    }
  )
})
