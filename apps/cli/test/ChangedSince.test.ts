import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import * as ChangedSince from "../src/ChangedSince.js"

describe("--changed-since DURATION (CONTRACT §7)", () => {
  it("reads s, m, h and d into seconds", () => {
    assert.deepStrictEqual(
      ["90s", "15m", "2h", "1d", " 366d "].map(ChangedSince.parse),
      [90, 900, 7200, 86_400, 31_622_400].map((s) => Either.right(s))
    )
  })

  it("refuses another unit, no unit, a fraction, zero or more than 366 days, in words", () => {
    for (const text of ["15", "15x", "1.5h", "-5m", "m", "", "15 m", "15M"]) {
      const read = ChangedSince.parse(text)
      assert.isTrue(Either.isLeft(read), text)
      if (Either.isLeft(read)) assert.include(read.left, "a whole number and a unit s, m, h or d")
    }
    assert.deepStrictEqual(
      ChangedSince.parse("0m"),
      Either.left("--changed-since must be above 0 (a full run: leave it out)")
    )
    assert.deepStrictEqual(
      ChangedSince.parse("367d"),
      Either.left("--changed-since is at most 366d, got 367d")
    )
  })

  it("shows seconds in the largest unit that divides them", () =>
    assert.deepStrictEqual([900, 90, 7200, 86_400, 5400].map(ChangedSince.format), [
      "15m",
      "90s",
      "2h",
      "1d",
      "90m"
    ]))
})
