import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { DfoEmployees } from "../src/index.js"

const load = (entries: Readonly<Record<string, string>>) =>
  DfoEmployees.config.pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))
  )

const required = { SAP_ANSATT_BASE_URL: "https://gw.example.no/dfo/ansatte/v2", SAP_API_KEY: "k-1" }

describe("DfoEmployees.config", () => {
  it.effect("timeouts above 2^31 − 1 ms are refused: the timer would overflow", () =>
    Effect.gen(function* () {
      const message = String(
        yield* Effect.flip(
          load({ ...required, SAP_TIMEOUT_MS: "3000000000", SAP_RETRY_BASE_MS: "2147483648" })
        )
      )
      assert.include(message, "SAP_TIMEOUT_MS must be at most 2147483647 ms")
      assert.include(message, "SAP_RETRY_BASE_MS must be at most 2147483647 ms")
      const max = yield* load({ ...required, SAP_TIMEOUT_MS: "2147483647" })
      assert.strictEqual(max.timeoutMs, 2_147_483_647)
    })
  )

  it.effect("a key that cannot be sent as a header value is a configuration error", () =>
    Effect.gen(function* () {
      for (const key of ["k-1\n", " k-1", "k\u0000ey", "nøkkel", "k-1\r\nX-Evil: 1"]) {
        const message = String(yield* Effect.flip(load({ ...required, SAP_API_KEY: key })))
        assert.include(message, "SAP_API_KEY cannot be sent as an HTTP header value")
        assert.notInclude(message, key.trim())
      }
      const fine = yield* load(required)
      assert.strictEqual(Redacted.value(fine.apiKey as Redacted.Redacted<string>), "k-1")
    })
  )
})
