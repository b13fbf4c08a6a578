// KEY_FIELD_EMPLOYEE_ID over a real socket (CONTRACT §2, §5): the employee id by numeric
// value, the same statuses as every key field, and a value that is no id refused unread.
import { KeyField, Outcome, WritebackService } from "@dfo-writeback/contract"
import { assert, layer } from "@effect/vitest"
import { status } from "@grpc/grpc-js"
import { Effect } from "effect"
import * as Fixture from "./utils/fixture.js"
import { client, kinds, writeback } from "./utils/grpc.js"

const byEmployeeId = (keyValue: string) => ({ keyField: KeyField.EMPLOYEE_ID, keyValue })

const setup = Effect.gen(function* () {
  const fixture = yield* Fixture.Services
  fixture.emulator.reset()
  return { ...fixture, client: yield* client(WritebackService, fixture.server.address) }
})

layer(Fixture.layer(), { excludeTestServices: true, timeout: "60 seconds" })(
  "KEY_FIELD_EMPLOYEE_ID over gRPC",
  (it) => {
    it.scoped("finds the entry by numeric value and writes it", () =>
      Effect.gen(function* () {
        const fixture = yield* setup
        // The directory holds 00900001.
        const answer = yield* writeback(fixture.client, byEmployeeId("900001"))
        assert.isUndefined(answer.error)
        assert.deepStrictEqual(kinds(answer), ["started", "user", "summary"])
        const user = answer.events[1]?.event
        assert(user?.case === "user")
        assert.strictEqual(user.value.username, Fixture.alice.username)
        assert.strictEqual(user.value.outcome, Outcome.UPDATED)
        assert.deepStrictEqual(
          fixture.emulator
            .log()
            .filter((entry) => entry.method === "PUT")
            .map((entry) => entry.path),
          [`${fixture.emulator.basePath}/${Fixture.alice.sapId}`]
        )
      })
    )

    it.scoped("answers NOT_FOUND, and INVALID_ARGUMENT unread for a value that is no id", () =>
      Effect.gen(function* () {
        const fixture = yield* setup
        const missing = yield* writeback(fixture.client, byEmployeeId("99999999"))
        assert.strictEqual(missing.error?.code, status.NOT_FOUND)
        assert.match(missing.error?.details ?? "", /^NOT_FOUND: .*employee-id "99999999"/)
        for (const value of ["abc", "*", "1*)(objectClass=*", "123456789", "90 0001"]) {
          const answer = yield* writeback(fixture.client, byEmployeeId(value))
          assert.strictEqual(answer.error?.code, status.INVALID_ARGUMENT, value)
          assert.match(
            answer.error?.details ?? "",
            /^INVALID_REQUEST: .*key_value for employee-id must be 1–8 digits/,
            value
          )
          assert.deepStrictEqual(answer.events, [])
        }
        assert.deepStrictEqual(fixture.emulator.log(), [])
      })
    )

    it.scoped("answers FAILED_PRECONDITION when two entries hold the id, writing nothing", () =>
      Effect.gen(function* () {
        const fixture = yield* setup
        yield* Effect.promise(() =>
          fixture.testbed.add(
            ["00900004", "900004"].map((sapId) => ({
              idautoPersonSystem1ID: `empid-${sapId}`,
              idautoPersonPayrollID: sapId,
              idautoPersonAppRoles2: "Active Directory"
            }))
          )
        )
        const ambiguous = yield* writeback(fixture.client, byEmployeeId("0900004"))
        assert.strictEqual(ambiguous.error?.code, status.FAILED_PRECONDITION)
        assert.match(ambiguous.error?.details ?? "", /^AMBIGUOUS_KEY: 2 /)
        assert.isFalse(kinds(ambiguous).includes("user"))
        assert.deepStrictEqual(fixture.emulator.log(), [])
      })
    )
  }
)
