// What `JSON.parse` and the schema alone let through: keys given twice, users listed twice,
// nesting past the plan's own depth. Each is PLAN_MALFORMED before anything reads the plan.
import { defaultMapping } from "@dfo-writeback/domain"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { Plan } from "../src/index.js"
import * as F from "./fixtures.js"

const settings = Plan.settingsOf({
  baseUrl: "https://gw.example.no/dfo/ansatte/v2",
  mapping: defaultMapping,
  rules: F.rules
})

const user = (n: number, sapId = `0030000${n}`): Plan.PlannedUser => ({
  idauto_id: `00000000-0000-4000-8000-00000000000${n}`,
  sap_id: sapId,
  changes: [{ field: "epost", before: "old@uni.no", after: `user${n}@uni.no` }],
  kept_fields: []
})

/** A plan file's text with a correct digest over `users`. */
const planText = (users: ReadonlyArray<Plan.PlannedUser>) => {
  const body = {
    version: 1 as const,
    created_at: new Date().toISOString(),
    settings,
    skipped_by_reason: {},
    users
  }
  return Plan.encode({ ...body, digest: Plan.digestOf(body) })
}

const decode = (text: string) => Plan.decode(text, { settings, maxAgeHours: 24, now: new Date() })

/** The refusal's reason, asserting it is PLAN_MALFORMED. */
const malformed = (text: string): string => {
  const decoded = decode(text)
  assert(Either.isLeft(decoded), "the plan is refused")
  assert.strictEqual(decoded.left._tag, "PlanMalformed")
  assert.match(decoded.left.message, /^PLAN_MALFORMED: /)
  return decoded.left._tag === "PlanMalformed" ? decoded.left.reason : ""
}

describe("Plan.decode refuses what a reviewer could not have read", () => {
  it.effect("a well-formed plan of two users decodes", () =>
    Effect.sync(() => {
      const decoded = decode(planText([user(1), user(2)]))
      assert(Either.isRight(decoded))
      assert.strictEqual(decoded.right.users.length, 2)
    })
  )

  it.effect("a key given twice, at any depth and however escaped, is PLAN_MALFORMED", () =>
    Effect.sync(() => {
      const real = planText([user(1)])
      // JSON.parse keeps the last "users": the digest still matches what is written.
      const shadowed = real.replace('"users": [', '"users": [],\n  "users": [')
      assert(Either.isRight(Plan.decode(real, { settings, maxAgeHours: 24, now: new Date() })))
      assert.include(malformed(shadowed), 'the key "users" appears twice')
      const escaped = real.replace('"users": [', '"users": [],\n  "u\\u0073ers": [')
      assert.include(malformed(escaped), 'the key "users" appears twice')
      const nested = real.replace(
        '"after": "user1@uni.no"',
        '"after": "x@evil.example", "after": "user1@uni.no"'
      )
      assert.include(malformed(nested), 'the key "after" appears twice in one object (depth 5)')
    })
  )

  it.effect(
    "a user listed twice, by idauto_id or by the employee id's value, is PLAN_MALFORMED",
    () =>
      Effect.sync(() => {
        assert.match(
          malformed(planText([user(1), user(2), user(1), user(1)])),
          /user 3 .* repeats user 1/
        )
        const samePerson = { ...user(3), sap_id: "300001" }
        assert.match(
          malformed(planText([user(1), samePerson])),
          /user 2 .*"300001".* repeats user 1/
        )
        const upperCase = { ...user(4), idauto_id: user(1).idauto_id.toUpperCase() }
        assert.match(malformed(planText([user(1), upperCase])), /user 2 .* repeats user 1/)
      })
  )

  it.effect("nesting past the plan's depth is PLAN_MALFORMED before it is parsed", () =>
    Effect.sync(() => {
      const deep = (levels: number) =>
        `{"version":1,"x":${"[".repeat(levels)}${"]".repeat(levels)}}`
      for (const levels of [8, 5_000, 1_000_000]) {
        assert.strictEqual(malformed(deep(levels)), `nested deeper than ${Plan.maxDepth} levels`)
      }
      const objects = `${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}`
      assert.strictEqual(malformed(objects), `nested deeper than ${Plan.maxDepth} levels`)
    })
  )
})
