import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import {
  AllUsersRequest,
  SingleUserRequest,
  validateRequest,
  type RawWritebackRequest
} from "../src/index.js"

const raw = (r: Partial<RawWritebackRequest>): RawWritebackRequest => ({
  keyField: undefined,
  keyValue: "",
  processAll: false,
  logOnly: false,
  maxUpdates: 0,
  ...r
})

const problems = (r: Partial<RawWritebackRequest>) =>
  Either.match(validateRequest(raw(r)), { onLeft: (e) => e.problems.join("; "), onRight: () => "" })

describe("validateRequest (CONTRACT §5)", () => {
  it("accepts a key request", () => {
    assert.deepStrictEqual(
      validateRequest(raw({ keyField: "uh-username", keyValue: "kno001", logOnly: true })),
      Either.right(
        new SingleUserRequest({ keyField: "uh-username", keyValue: "kno001", logOnly: true })
      )
    )
  })

  it("accepts a full run with a max_updates", () => {
    assert.deepStrictEqual(
      validateRequest(raw({ processAll: true, maxUpdates: 5 })),
      Either.right(new AllUsersRequest({ logOnly: false, maxUpdates: 5 }))
    )
  })

  it("refuses neither", () => assert.match(problems({}), /either a key .* or process_all/))
  it("refuses both", () =>
    assert.match(problems({ processAll: true, keyField: "username", keyValue: "a" }), /not both/))
  it("refuses a key value without a field", () =>
    assert.match(problems({ keyValue: "a" }), /key_field is missing/))
  it("refuses an empty or blank key value", () => {
    assert.match(problems({ keyField: "username" }), /key_value is empty/)
    assert.match(problems({ keyField: "username", keyValue: "  " }), /key_value is empty/)
  })
  it("refuses an unknown key field, naming it", () =>
    assert.match(problems({ keyField: "email", keyValue: "a" }), /unknown key_field "email"/))
  it("reports every problem at once", () =>
    assert.strictEqual(problems({ keyField: "email", keyValue: " " }).split("; ").length, 2))
  it("accepts a key value of 256 characters and refuses 257, without echoing it", () => {
    assert.isTrue(
      Either.isRight(validateRequest(raw({ keyField: "username", keyValue: "a".repeat(256) })))
    )
    const long = problems({ keyField: "username", keyValue: "b".repeat(1_000_000) })
    assert.strictEqual(long, "key_value is 1000000 characters long; at most 256 are accepted")
  })
})

describe("validateRequest: employee-id (CONTRACT §2)", () => {
  it("accepts an id in any zero-padding, with spaces around it", () => {
    for (const keyValue of ["30202", "00030202", " 30202 "]) {
      assert.deepStrictEqual(
        validateRequest(raw({ keyField: "employee-id", keyValue })),
        Either.right(new SingleUserRequest({ keyField: "employee-id", keyValue, logOnly: false }))
      )
    }
  })
  it("refuses a value the employee id rule does not read as an id", () => {
    assert.strictEqual(
      problems({ keyField: "employee-id", keyValue: "abc" }),
      'key_value for employee-id must be 1–8 digits; it holds "a" (U+0061) at character 1'
    )
    assert.match(problems({ keyField: "employee-id", keyValue: "*" }), /holds "\*" \(U\+002A\)/)
    assert.match(
      problems({ keyField: "employee-id", keyValue: "1*)(objectClass=*" }),
      /must be 1–8 digits/
    )
    assert.match(problems({ keyField: "employee-id", keyValue: "123456789" }), /has 9 digits/)
    assert.match(problems({ keyField: "employee-id", keyValue: "30202\t" }), /U\+0009/)
  })

  it("accepts an incremental full run (CONTRACT §8)", () =>
    assert.deepStrictEqual(
      validateRequest(raw({ processAll: true, changedSinceSeconds: 900 })),
      Either.right(new AllUsersRequest({ logOnly: false, maxUpdates: 0, changedSinceSeconds: 900 }))
    ))
  it("refuses changed_since_seconds without process_all", () =>
    assert.match(
      problems({ keyField: "username", keyValue: "a", changedSinceSeconds: 900 }),
      /changed_since_seconds is only allowed with process_all/
    ))
  it("refuses a window beyond 366 days, or not a whole number of seconds", () => {
    assert.match(
      problems({ processAll: true, changedSinceSeconds: 366 * 86400 + 1 }),
      /from 0 to 31622400/
    )
    assert.match(problems({ processAll: true, changedSinceSeconds: 1.5 }), /an integer/)
    assert.isTrue(
      Either.isRight(validateRequest(raw({ processAll: true, changedSinceSeconds: 366 * 86400 })))
    )
  })
})
