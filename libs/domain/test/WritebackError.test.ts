import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  keyRefusalAdvice,
  keyRefusedStatuses,
  SapFetchError,
  SapUpdateError
} from "../src/index.js"

describe("SapFetchError and SapUpdateError (CONTRACT §3)", () => {
  it("are not transient unless told, and carry a Retry-After when given", () => {
    const plain = new SapFetchError({ sapId: "00102099", status: 500, attempts: 1, reason: "x" })
    assert.isFalse(plain.transient)
    assert.isUndefined(plain.retryAfterMs)
    const limited = new SapUpdateError({
      sapId: "00102099",
      status: 429,
      attempts: 5,
      reason: "rate limited",
      transient: true,
      retryAfterMs: 2_000
    })
    assert.isTrue(limited.transient)
    assert.strictEqual(limited.retryAfterMs, 2_000)
  })

  const statusCases: ReadonlyArray<readonly [number | undefined, boolean]> = [
    [401, true],
    [403, true],
    [405, true],
    [400, false],
    [404, false],
    [422, false],
    [429, false],
    [500, false],
    [503, false],
    [undefined, false]
  ]
  for (const [status, refused] of statusCases) {
    it(`keyRefused is ${refused} for ${status ?? "no status (a timeout)"}`, () => {
      const fields = { ...(status === undefined ? {} : { status }), attempts: 1, reason: "r" }
      assert.strictEqual(new SapFetchError(fields).keyRefused, refused)
      assert.strictEqual(new SapUpdateError(fields).keyRefused, refused)
    })
  }

  it.prop(
    "keyRefused is exactly 401, 403 and 405",
    [fc.integer({ min: 100, max: 599 })],
    ([status]) => {
      const refused = status === 401 || status === 403 || status === 405
      assert.strictEqual(keyRefusedStatuses.has(status), refused)
      assert.strictEqual(
        new SapFetchError({ status, attempts: 1, reason: "r" }).keyRefused,
        refused
      )
      assert.strictEqual(
        new SapUpdateError({ status, attempts: 1, reason: "r" }).keyRefused,
        refused
      )
    }
  )

  it("advises on the key for 401/403 and on the plan's methods for 405", () => {
    for (const status of [401, 403]) {
      assert.match(keyRefusalAdvice(status), /SAP_API_KEY/)
      assert.notMatch(keyRefusalAdvice(status), /PUT/)
    }
    assert.match(keyRefusalAdvice(405), /plan does not allow/)
    assert.match(keyRefusalAdvice(405), /PUT/)
    assert.match(keyRefusalAdvice(405), /SAP_UPDATE_METHOD/)
  })

  it("names the code, employee, status, faultText, reason and attempts in the message", () => {
    assert.strictEqual(
      new SapUpdateError({
        sapId: "00102099",
        status: 400,
        faultText: "epost er for lang",
        attempts: 1,
        reason: "SAP rejected the value"
      }).message,
      "SAP_UPDATE_FAILED: updating employee 00102099 failed with HTTP 400 (epost er for lang): SAP rejected the value after 1 attempt"
    )
    assert.strictEqual(
      new SapFetchError({ attempts: 5, reason: "timed out", transient: true }).message,
      "SAP_FETCH_FAILED: reading failed: timed out after 5 attempts"
    )
  })
})
