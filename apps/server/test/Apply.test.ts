import { KeyField, Outcome, WritebackService } from "@dfo-writeback/contract"
import { defaultMapping } from "@dfo-writeback/domain"
import { Plan } from "@dfo-writeback/writeback"
import { assert, layer } from "@effect/vitest"
import { status } from "@grpc/grpc-js"
import { Effect } from "effect"
import * as Fixture from "./utils/fixture.js"
import { bearer, client, collect, type WritebackClient, writeback } from "./utils/grpc.js"

const puts = (fixture: Fixture.Fixture) =>
  fixture.emulator.log().filter((entry) => entry.method === "PUT")

const setup = Effect.gen(function* () {
  const fixture = yield* Fixture.Services
  fixture.emulator.reset()
  const c: WritebackClient = yield* client(WritebackService, fixture.server.address)
  return { ...fixture, client: c }
})

/** A plan for alice, made from a log-only call as `writeback plan` makes it. */
const alicePlan = (
  fixture: Fixture.Fixture & { readonly client: WritebackClient },
  now = new Date()
) =>
  Effect.gen(function* () {
    const answer = yield* writeback(fixture.client, {
      keyField: KeyField.USERNAME,
      keyValue: Fixture.alice.username,
      logOnly: true
    })
    assert.isUndefined(answer.error)
    const user = answer.events.flatMap((e) => (e.event.case === "user" ? [e.event.value] : []))[0]
    assert(user?.outcome === Outcome.WOULD_UPDATE)
    const body = {
      version: 1 as const,
      created_at: now.toISOString(),
      settings: Plan.settingsOf({
        baseUrl: fixture.emulator.baseUrl,
        mapping: defaultMapping,
        rules: { writebackBrukerident: false, businessRoleExceptions: [] }
      }),
      skipped_by_reason: {},
      users: [
        {
          idauto_id: user.idautoId,
          sap_id: user.sapId,
          changes: user.changes.map((c) => ({
            field: c.field as Plan.PlannedChange["field"],
            before: c.before,
            after: c.after
          })) as unknown as Plan.PlannedUser["changes"],
          kept_fields: []
        }
      ]
    }
    return Plan.encode({ ...body, digest: Plan.digestOf(body) })
  })

const apply = (c: WritebackClient, plan: string | Uint8Array) =>
  Effect.promise(() =>
    collect(
      c.apply({ plan: typeof plan === "string" ? new TextEncoder().encode(plan) : plan }, bearer())
    )
  )

layer(Fixture.layer(), { excludeTestServices: true, timeout: "60 seconds" })(
  "Apply over gRPC",
  (it) => {
    it.scoped("streams the same events and writes exactly the plan", () =>
      Effect.gen(function* () {
        const fixture = yield* setup
        const plan = yield* alicePlan(fixture)
        assert.deepStrictEqual(puts(fixture), [])
        const answer = yield* apply(fixture.client, plan)
        assert.isUndefined(answer.error, answer.error?.details)
        assert.deepStrictEqual(
          answer.events.map((e) => e.event.case),
          ["started", "user", "summary"]
        )
        const user = answer.events[1]?.event
        assert(user?.case === "user")
        assert.strictEqual(user.value.outcome, Outcome.UPDATED)
        assert.deepStrictEqual(
          puts(fixture).map((entry) => entry.path),
          [`${fixture.emulator.basePath}/${Fixture.alice.sapId}`]
        )
      })
    )

    it.scoped(
      "refuses malformed (INVALID_ARGUMENT), altered and expired (FAILED_PRECONDITION) plans",
      () =>
        Effect.gen(function* () {
          const fixture = yield* setup
          const plan = yield* alicePlan(fixture)
          const expired = yield* alicePlan(fixture, new Date(Date.now() - 48 * 3_600_000))
          const malformed = yield* apply(fixture.client, new Uint8Array([0xff, 0x00, 0x7b]))
          assert.strictEqual(malformed.error?.code, status.INVALID_ARGUMENT)
          assert.match(malformed.error?.details ?? "", /^PLAN_MALFORMED: /)
          const altered = yield* apply(
            fixture.client,
            plan.replace(Fixture.alice.mail, "x@evil.example")
          )
          assert.strictEqual(altered.error?.code, status.FAILED_PRECONDITION)
          assert.match(altered.error?.details ?? "", /^PLAN_ALTERED: /)
          const old = yield* apply(fixture.client, expired)
          assert.strictEqual(old.error?.code, status.FAILED_PRECONDITION)
          assert.match(old.error?.details ?? "", /^PLAN_EXPIRED: /)
          for (const answer of [malformed, altered, old]) assert.deepStrictEqual(answer.events, [])
          assert.deepStrictEqual(puts(fixture), [])
        })
    )

    it.scoped(
      "refuses a plan with a key given twice, a user listed twice or deep nesting (INVALID_ARGUMENT), writing nothing",
      () =>
        Effect.gen(function* () {
          const fixture = yield* setup
          const plan = yield* alicePlan(fixture)
          const { digest: _digest, ...body } = JSON.parse(plan) as Plan.Plan
          const thrice = { ...body, users: [...body.users, ...body.users, ...body.users] }
          const refused = {
            // JSON.parse keeps the last "users", and the digest matches it.
            shadowed: plan.replace('"users": [', '"users": [],\n  "users": ['),
            thrice: Plan.encode({ ...thrice, digest: Plan.digestOf(thrice) }),
            deep: `{"version":1,"x":${"[".repeat(5_000)}${"]".repeat(5_000)}}`
          }
          for (const [name, text] of Object.entries(refused)) {
            const answer = yield* apply(fixture.client, text)
            assert.strictEqual(answer.error?.code, status.INVALID_ARGUMENT, name)
            assert.match(answer.error?.details ?? "", /^PLAN_MALFORMED: /, name)
            assert.deepStrictEqual(answer.events, [], name)
          }
          assert.deepStrictEqual(puts(fixture), [])
        })
    )
  }
)
