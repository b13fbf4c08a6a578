import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  countResult,
  countsAddUp,
  countSkip,
  emptyCounts,
  UserResult,
  type ErrorCode,
  type Outcome,
  SkipReason,
  type SkipCounts,
  uncountResult,
  uncountSkip
} from "../src/index.js"

const result = (outcome: Outcome, errorCode?: ErrorCode, skipReason?: SkipReason) =>
  new UserResult({
    idautoId: "id",
    username: "",
    uhUsername: "",
    sapId: "",
    outcome,
    ...(errorCode === undefined ? {} : { errorCode }),
    ...(skipReason === undefined ? {} : { skipReason }),
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

  it("counts skips by reason; other outcomes leave the counts as they are", () => {
    const counts = [
      result("SKIPPED", undefined, "NOT_IN_SAP"),
      result("UPDATED"),
      result("SKIPPED", undefined, "DUPLICATE_EMPLOYEE_ID"),
      result("SKIPPED", undefined, "NOT_IN_SAP"),
      result("FAILED", "SAP_FETCH_FAILED"),
      result("SKIPPED", undefined, "INVALID_ATTRIBUTES")
    ].reduce(countSkip, {} as SkipCounts)
    assert.deepStrictEqual(counts, {
      NOT_IN_SAP: 2,
      DUPLICATE_EMPLOYEE_ID: 1,
      INVALID_ATTRIBUTES: 1
    })
    const empty: SkipCounts = {}
    assert.strictEqual(countSkip(empty, result("UNCHANGED")), empty)
  })

  const aReason = fc.constantFrom(...SkipReason.literals)

  const aResult = fc.oneof(
    anOutcome.filter(([outcome]) => outcome !== "SKIPPED").map(([o, c]) => result(o, c)),
    aReason.map((reason) => result("SKIPPED", undefined, reason))
  )

  it.prop(
    "skips by reason add up to the skipped counter, each reason to its own skips",
    [fc.array(aResult)],
    ([results]) => {
      const counts = results.reduce(countResult, emptyCounts)
      const byReason = results.reduce(countSkip, {} as SkipCounts)
      const sum = Object.values(byReason).reduce((total, n) => total + (n ?? 0), 0)
      assert.strictEqual(sum, counts.skipped)
      for (const [reason, n] of Object.entries(byReason)) {
        assert.strictEqual(n, results.filter((r) => r.skipReason === reason).length)
        assert.isAbove(n ?? 0, 0)
      }
    }
  )

  it.prop(
    "taking back a counted result leaves the counts as if it had never been counted",
    [fc.array(aResult), fc.array(aResult), aResult],
    ([before, after, taken]) => {
      const count = (results: ReadonlyArray<UserResult>) => ({
        counts: results.reduce(countResult, emptyCounts),
        skips: results.reduce(countSkip, {} as SkipCounts)
      })
      const counted = count([...before, taken, ...after])
      const without = count([...before, ...after])
      assert.deepStrictEqual(uncountResult(counted.counts, taken), without.counts)
      assert.deepStrictEqual(uncountSkip(counted.skips, taken), without.skips)
      assert.isTrue(countsAddUp(uncountResult(counted.counts, taken)))
    }
  )
})
