// The plan file's format: version 2 carries usernames, its maker and a comment under the
// digest; version 1 plans made before still apply; a malformed plan says what is wrong in
// plain words, naming the field by its path.
import { defaultMapping, UserResult } from "@dfo-writeback/domain"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { Plan } from "../src/index.js"
import * as F from "./fixtures.js"

const settings = Plan.settingsOf({
  baseUrl: "https://gw.example.no/dfo/ansatte/v2",
  mapping: defaultMapping,
  rules: F.rules
})

/** A dry run's WOULD_UPDATE result; the idautoIDs sort opposite to the usernames. */
const wouldUpdate = (username: string, idautoId: string, sapId: string) =>
  new UserResult({
    idautoId,
    username,
    uhUsername: `${username}.uh`,
    sapId,
    outcome: "WOULD_UPDATE",
    changes: [{ field: "epost", before: "old@uni.no", after: `${username}@uni.no` }],
    keptFields: [],
    message: "would update epost"
  })

const made = Plan.make({
  settings,
  results: [
    wouldUpdate("øyvind", "00000000-0000-4000-8000-000000000001", "00300001"),
    wouldUpdate("ada", "00000000-0000-4000-8000-000000000003", "00300003"),
    wouldUpdate("zed", "00000000-0000-4000-8000-000000000002", "00300002")
  ],
  skippedByReason: { NOT_IN_SAP: 1 },
  now: new Date(),
  madeBy: "kari",
  comment: "CHG0012345: e-mail domain renamed, approved by HR"
})

const decode = (text: string, file?: string) =>
  Plan.decode(text, { settings, maxAgeHours: 24, now: new Date(), file })

/** The refusal's whole message, asserting it is PLAN_MALFORMED. */
const malformed = (text: string, file?: string): string => {
  const decoded = decode(text, file)
  assert(Either.isLeft(decoded), "the plan is refused")
  assert.strictEqual(decoded.left._tag, "PlanMalformed")
  return decoded.left.message
}

type Fields = Record<string, unknown>
type PlanJson = Fields & { users: Array<Fields & { changes: Array<Fields> }> }

const at = <A>(items: ReadonlyArray<A>, index: number): A => {
  const item = items[index]
  assert(item !== undefined)
  return item
}

/** The plan's JSON with `edit` applied (the digest is not recomputed: decoding fails first). */
const edited = (edit: (json: PlanJson) => void): string => {
  const json = JSON.parse(Plan.encode(made)) as PlanJson
  edit(json)
  return JSON.stringify(json)
}

describe("the plan file's format", () => {
  it.effect("version 2: usernames, by username (Norwegian order), maker and comment", () =>
    Effect.sync(() => {
      assert.strictEqual(made.version, 2)
      assert.deepStrictEqual(
        made.users.map((u) => u.username),
        ["ada", "zed", "øyvind"]
      )
      assert.strictEqual(made.made_by, "kari")
      const decoded = decode(Plan.encode(made))
      assert(Either.isRight(decoded))
      assert.strictEqual(decoded.right.comment, made.comment)
    })
  )

  it.effect("the comment and the maker are under the digest", () =>
    Effect.sync(() => {
      const text = Plan.encode(made)
      for (const altered of [
        text.replace("approved by HR", "approved by nobody"),
        text.replace('"made_by": "kari"', '"made_by": "ola"')
      ]) {
        assert.notStrictEqual(altered, text)
        const decoded = decode(altered)
        assert(Either.isLeft(decoded))
        assert.strictEqual(decoded.left._tag, "PlanAltered")
      }
    })
  )

  it.effect("a version 1 plan made before (no username, maker, comment) still decodes", () =>
    Effect.sync(() => {
      const {
        digest: _digest,
        made_by: _madeBy,
        comment: _comment,
        ...rest
      } = JSON.parse(Plan.encode(made)) as Plan.Plan
      const body = {
        ...rest,
        version: 1 as const,
        users: rest.users.map(({ username: _username, ...user }) => user)
      }
      const decoded = decode(Plan.encode({ ...body, digest: Plan.digestOf(body) }))
      assert(Either.isRight(decoded), Either.isLeft(decoded) ? decoded.left.message : "")
      assert.strictEqual(decoded.right.users.length, 3)
      assert.isUndefined(decoded.right.users[0]?.username)
    })
  )

  it.effect("a malformed plan says what is wrong in plain words, naming the field", () =>
    Effect.sync(() => {
      const cases: ReadonlyArray<readonly [string, string]> = [
        [
          edited((json) => delete at(json.users, 1)["sap_id"]),
          "field `users[1].sap_id` is missing"
        ],
        [
          edited((json) => (at(at(json.users, 0).changes, 0)["after"] = 5)),
          "field `users[0].changes[0].after`: expected string, actual 5"
        ],
        [
          edited((json) => (at(json.users, 2)["email"] = "x@uni.no")),
          "field `users[2].email` is not part of a plan"
        ],
        [
          edited((json) => (json["comment"] = "x".repeat(Plan.maxCommentLength + 1))),
          "field `comment`: expected a string at most 500 character(s) long"
        ],
        [
          edited((json) => (json["version"] = 3)),
          "version 3 is not one this program reads (1, 2); a newer writeback made it, or it is not a plan"
        ],
        ["[1, 2]", "not a JSON object"]
      ]
      for (const [text, expected] of cases) {
        const message = malformed(text, "plan.json")
        assert.include(message, `PLAN_MALFORMED: plan.json is not a usable plan: ${expected}`)
        assert.notInclude(message, "└─")
      }
      const many = malformed(
        edited((json) => {
          for (const user of json.users) delete user["sap_id"]
          delete json["created_at"]
        })
      )
      assert.match(
        many,
        /^PLAN_MALFORMED: the file is not a usable plan: field `created_at` is missing; field `users\[0\]\.sap_id` is missing; field `users\[1\]\.sap_id` is missing; and 1 more; nothing written$/
      )
    })
  )
})
