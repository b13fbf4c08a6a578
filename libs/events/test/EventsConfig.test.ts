import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option, Redacted } from "effect"
import { EventsConfig } from "../src/index.js"

const read = (settings: Record<string, string>) =>
  Effect.either(
    Effect.withConfigProvider(
      EventsConfig.config,
      ConfigProvider.fromMap(new Map(Object.entries(settings)))
    )
  )

const url = "amqp://writeback:s3cret-broker-password@mq.example.no:5672/iam"

describe("EventsConfig", () => {
  it.effect("is off without EVENTS_AMQP_URL, and on with CONTRACT §8's defaults", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* read({}), Either.right(Option.none()))
      const on = yield* read({ EVENTS_AMQP_URL: url, EVENTS_DFO_QUEUE: "dfo-writeback.dfo" })
      assert.isTrue(Either.isRight(on) && Option.isSome(on.right))
      if (Either.isRight(on) && Option.isSome(on.right)) {
        const options = on.right.value
        assert.strictEqual(Redacted.value(options.url), url)
        assert.strictEqual(options.dfoQueue, "dfo-writeback.dfo")
        assert.isUndefined(options.scimQueue)
        assert.deepStrictEqual(
          [...options.scimAttributes],
          ["username", "emails", "employeenumber", "active", "roles"]
        )
        assert.deepStrictEqual(
          [options.debounceMs, options.prefetch, options.maxAttempts],
          [2000, 32, 5]
        )
      }
    })
  )

  it.effect(
    "stops start-up on a URL without a queue, a wrong scheme or a bad number, never echoing the URL",
    () =>
      Effect.gen(function* () {
        const cases: Array<[Record<string, string>, string]> = [
          [{ EVENTS_AMQP_URL: url }, "name EVENTS_SCIM_QUEUE, EVENTS_DFO_QUEUE or both"],
          [
            { EVENTS_AMQP_URL: url.replace("amqp:", "https:"), EVENTS_SCIM_QUEUE: "q" },
            "must be an amqp:// or amqps:// URL"
          ],
          [
            { EVENTS_AMQP_URL: url, EVENTS_SCIM_QUEUE: "q", EVENTS_PREFETCH: "0" },
            "EVENTS_PREFETCH"
          ],
          // Checked while events are off too: a typo never waits for the day events are on.
          [{ EVENTS_MAX_ATTEMPTS: "many" }, "EVENTS_MAX_ATTEMPTS"],
          [
            { EVENTS_AMQP_URL: url, EVENTS_SCIM_QUEUE: "q", EVENTS_SCIM_ATTRIBUTES: " , " },
            "at least one"
          ],
          [
            {
              EVENTS_AMQP_URL: url,
              EVENTS_SCIM_QUEUE: "q",
              EVENTS_AMQP_CA_FILE: "/nonexistent.pem"
            },
            "cannot be read"
          ]
        ]
        for (const [settings, why] of cases) {
          const result = yield* read(settings)
          assert.isTrue(Either.isLeft(result), why)
          const text = Either.isLeft(result) ? String(result.left) : ""
          assert.include(text, why)
          assert.notInclude(text, "s3cret-broker-password")
        }
      })
  )
})
