import { DfoEmployeeList, type DfoLookup } from "@dfo-writeback/domain"
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc, Option, Schema } from "effect"
import type { Answer } from "../src/internal/Answer.js"
import type { AttemptFailure } from "../src/internal/AttemptFailure.js"
import {
  employeesOf,
  listRefusalOf,
  lookupOf,
  probeOf,
  writtenOf
} from "../src/internal/Reading.js"

// Pure: each answer is built here, no HTTP.

const NOW = Date.parse("2026-12-07T06:00:00Z")

const answer = (
  status: number,
  body: unknown,
  headers: Answer["headers"] = {},
  bodyLimit = 1024
): Answer => ({
  status,
  headers,
  body: typeof body === "string" || body === undefined ? body : JSON.stringify(body),
  bodyLimit
})

const fault = (faultText: string) => ({ standard: { faultText } })

const right = <A>(either: Either.Either<A, AttemptFailure>): A => {
  if (Either.isLeft(either)) throw new Error(`expected a value, got: ${either.left.reason}`)
  return either.right
}

const left = <A>(either: Either.Either<A, AttemptFailure>): AttemptFailure => {
  if (Either.isRight(either)) throw new Error("expected a failure")
  return either.left
}

const found = (lookup: DfoLookup) => {
  if (lookup._tag !== "Found") throw new Error(`expected Found, got ${lookup.faultText}`)
  return lookup.employee
}

describe("lookupOf", () => {
  it("one employee, as a list or as DFØ's older object form; ids by numeric value", () => {
    const list = found(right(lookupOf("30202")(answer(200, { ansatt: [{ id: "00030202" }] }), NOW)))
    assert.deepStrictEqual(list, { id: "00030202", hasBrukerident: false })
    const object = found(
      right(
        lookupOf("00100001")(
          answer(200, {
            ansatt: { id: 100001, epost: " ", eksternIdent: null, brukerident: "ab12", x: 1 }
          }),
          NOW
        )
      )
    )
    assert.deepStrictEqual(object, { id: "100001", brukerident: "ab12", hasBrukerident: true })
  })

  it("NotFound for DFØ's IKKE ANSATT 404 and for a 200 with no employee", () => {
    assert.deepStrictEqual(
      right(lookupOf("00100001")(answer(404, fault("IKKE ANSATT 00100001")), NOW)),
      { _tag: "NotFound", faultText: "IKKE ANSATT 00100001" }
    )
    assert.strictEqual(
      right(lookupOf("00100001")(answer(200, { ansatt: [] }), NOW))._tag,
      "NotFound"
    )
  })

  it("a 404 without IKKE ANSATT is a wrong URL, never a missing employee", () => {
    const failure = left(lookupOf("00100001")(answer(404, { message: "No context-path" }), NOW))
    assert.isFalse(failure.transient)
    assert.match(failure.reason, /not DFØ's IKKE ANSATT answer \(check SAP_ANSATT_BASE_URL\)/)
    assert.match(failure.reason, /the gateway said: No context-path/)
  })

  it("another employee, or more than one, is a failure", () => {
    const other = left(lookupOf("00100001")(answer(200, { ansatt: [{ id: "00100002" }] }), NOW))
    assert.match(
      other.reason,
      /expected employee 00100001 alone, got 1 employee\(s\) starting with 00100002/
    )
    const two = left(
      lookupOf("00100001")(answer(200, { ansatt: [{ id: "00100001" }, { id: "00100001" }] }), NOW)
    )
    assert.match(two.reason, /got 2 employee\(s\)/)
  })

  it("waits: Retry-After as a date against now, X-Rate-Limit-Reset only on a 429", () => {
    const unavailable = left(
      lookupOf("1")(answer(503, "", { "retry-after": new Date(NOW + 4_000).toUTCString() }), NOW)
    )
    assert.isTrue(unavailable.transient)
    assert.strictEqual(unavailable.retryAfterMs, 4_000)
    const limited = left(
      lookupOf("1")(answer(429, "", { "x-rate-limit-reset": String(NOW + 1_500) }), NOW)
    )
    assert.strictEqual(limited.retryAfterMs, 1_500)
    assert.match(limited.reason, /rate limited by the gateway \(X-Rate-Limit-Reset /)
    const reset = left(
      lookupOf("1")(answer(503, "", { "x-rate-limit-reset": String(NOW + 600_000) }), NOW)
    )
    assert.strictEqual(reset.retryAfterMs, undefined)
  })

  it("a body over its limit, malformed JSON and another shape are failures, not retried", () => {
    const large = left(lookupOf("1")(answer(200, undefined, {}, 2_000), NOW))
    assert.strictEqual(large.reason, "the answer is larger than 2000 bytes; refused")
    const malformed = left(lookupOf("1")(answer(200, '{"ansatt":[{"id":'), NOW))
    assert.match(malformed.reason, /^malformed JSON in the answer: /)
    const shape = left(lookupOf("1")(answer(200, { ansatt: "nope" }), NOW))
    assert.match(shape.reason, /^unexpected JSON in the answer: /)
    assert.isFalse(large.transient || malformed.transient || shape.transient)
  })

  it("a refused key names what to check, and is not transient", () => {
    const refused = left(lookupOf("1")(answer(401, { message: "Unauthorized" }), NOW))
    assert.strictEqual(refused.status, 401)
    assert.isFalse(refused.transient)
    assert.match(refused.reason, /refused the API key/)
  })
})

describe("employeesOf", () => {
  const text = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.constant(""),
    fc.constant("  "),
    fc.string({ maxLength: 6 }),
    fc.integer(),
    fc.boolean()
  )
  const employee = fc.record(
    {
      id: fc.oneof(fc.stringMatching(/^\d{1,8}$/), fc.nat(), fc.constant(null)),
      eksternIdent: text,
      epost: text,
      brukerident: text,
      fornavn: fc.string({ maxLength: 4 })
    },
    { requiredKeys: [] }
  )
  const body = fc.oneof(
    fc.record({ ansatt: fc.array(employee, { maxLength: 4 }) }),
    fc.record({ ansatt: employee }),
    fc.record({ ansatt: fc.oneof(fc.constant(null), fc.string(), fc.nat()) }),
    fc.array(employee, { maxLength: 2 })
  )
  const decode = Schema.decodeUnknownEither(DfoEmployeeList)

  it.prop("reads every body exactly as the DfoEmployeeList schema does", [body], ([json]) => {
    const read = employeesOf(answer(200, json))
    const schema = decode(JSON.parse(JSON.stringify(json)), { onExcessProperty: "ignore" })
    if (Either.isRight(schema)) {
      assert.deepStrictEqual(right(read), schema.right.ansatt)
    } else {
      assert.match(left(read).reason, /^unexpected JSON in the answer: /)
    }
  })
})

describe("writtenOf", () => {
  it("None for a 204 or an empty 200; the employee in either shape", () => {
    assert.isTrue(Option.isNone(right(writtenOf("00100001")(answer(204, ""), NOW))))
    assert.isTrue(Option.isNone(right(writtenOf("00100001")(answer(200, ""), NOW))))
    const object = right(
      writtenOf("00100001")(answer(200, { id: "00100001", epost: "a@b.no" }), NOW)
    )
    assert.deepStrictEqual(Option.getOrThrow(object), {
      id: "00100001",
      epost: "a@b.no",
      hasBrukerident: false
    })
    const list = right(writtenOf("100001")(answer(200, { ansatt: [{ id: "00100001" }] }), NOW))
    assert.strictEqual(Option.getOrThrow(list).id, "00100001")
    // `ansatt` that is no list: the answer is read as the employee object itself.
    const odd = right(writtenOf("00100001")(answer(200, { ansatt: "x", id: "00100001" }), NOW))
    assert.strictEqual(Option.getOrThrow(odd).id, "00100001")
  })

  it("another employee, no employee shape, or a rejection is a failure", () => {
    const other = left(writtenOf("00100001")(answer(200, { ansatt: [{ id: "00100002" }] }), NOW))
    assert.match(other.reason, /DFØ accepted the write, but answered with employee 00100002/)
    const more = left(
      writtenOf("00100001")(answer(200, { ansatt: [{ id: "00100001" }, { id: "2" }] }), NOW)
    )
    assert.match(more.reason, /and 1 more/)
    const shape = left(writtenOf("00100001")(answer(200, { ok: true }), NOW))
    assert.match(shape.reason, /DFØ accepted the write, but its answer is not an employee: /)
    const rejected = left(writtenOf("00100001")(answer(422, fault("epost: for lang")), NOW))
    assert.strictEqual(rejected.faultText, "epost: for lang")
    assert.match(rejected.reason, /DFØ rejected the request/)
    assert.isFalse(rejected.transient)
  })
})

describe("probeOf and listRefusalOf", () => {
  it("the probe: 200, 429 and IKKE ANSATT mean reachable; anything else names why", () => {
    for (const reachable of [
      answer(200, { ansatt: [] }),
      answer(429, ""),
      answer(404, fault("IKKE ANSATT"))
    ]) {
      assert.isTrue(Either.isRight(probeOf(reachable, NOW)), String(reachable.status))
    }
    assert.match(left(probeOf(answer(403, ""), NOW)).reason, /refused the API key/)
    assert.match(left(probeOf(answer(500, ""), NOW)).reason, /unexpected answer HTTP 500/)
    assert.match(left(probeOf(answer(404, fault("nope")), NOW)).reason, /not DFØ's IKKE ANSATT/)
  })

  it("any answer to the list but its success is its refusal", () => {
    const failure = left(listRefusalOf(answer(503, "", { "retry-after": "2" }), NOW))
    assert.isTrue(failure.transient)
    assert.strictEqual(failure.retryAfterMs, 2_000)
  })
})
