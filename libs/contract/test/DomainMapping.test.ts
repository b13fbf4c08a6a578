import { create } from "@bufbuild/protobuf"
import {
  keyFields,
  RunStarted,
  RunSummary,
  UserResult,
  validateRequest
} from "@dfo-writeback/domain"
import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import {
  fromProtoRequest,
  KeyField,
  toCanonicalJson,
  toProtoEvent,
  WritebackRequestSchema
} from "../src/index.js"

describe("DomainMapping", () => {
  it("writes a user result as canonical JSON with enum names", () => {
    const json = JSON.parse(
      toCanonicalJson(
        new UserResult({
          idautoId: "a",
          username: "kno001",
          uhUsername: "",
          sapId: "00102099",
          outcome: "SKIPPED",
          skipReason: "NOT_IN_SAP",
          changes: [],
          keptFields: ["brukerident"],
          message: "DFØ has no employee 00102099"
        })
      )
    )
    assert.deepStrictEqual(json, {
      user: {
        idautoId: "a",
        username: "kno001",
        uhUsername: "",
        sapId: "00102099",
        outcome: "OUTCOME_SKIPPED",
        skipReason: "SKIP_REASON_NOT_IN_SAP",
        errorCode: "ERROR_CODE_UNSPECIFIED",
        changes: [],
        keptFields: ["brukerident"],
        message: "DFØ has no employee 00102099"
      }
    })
  })

  it("writes every counter of a summary, the duration as a string (uint64)", () => {
    const json = JSON.parse(
      toCanonicalJson(
        new RunSummary({
          runId: "r",
          total: 2,
          skipped: 1,
          unchanged: 0,
          updated: 1,
          wouldUpdate: 0,
          updateFailed: 0,
          fetchFailed: 0,
          skippedByReason: { NOT_IN_SAP: 1 },
          dfoRequests: 3,
          dfoRetries: 1,
          dfoRateLimited: 1,
          logOnly: false,
          aborted: false,
          abortReason: "",
          durationMs: 1234,
          caller: "nightly"
        })
      )
    )
    assert.strictEqual(json.summary.durationMs, "1234")
    assert.deepStrictEqual(json.summary.skippedByReason, { NOT_IN_SAP: 1 })
    assert.strictEqual(json.summary.dfoRequests, 3)
    assert.strictEqual(json.summary.dfoRetries, 1)
    assert.strictEqual(json.summary.dfoRateLimited, 1)
    assert.strictEqual(json.summary.caller, "nightly")
    assert.strictEqual(json.summary.wouldUpdate, 0)
    assert.strictEqual(json.summary.updated, 1)
  })

  it("reads a wire request for validation, naming an unknown key field", () => {
    const ok = fromProtoRequest(
      create(WritebackRequestSchema, { keyField: KeyField.UH_USERNAME, keyValue: "x" })
    )
    assert.strictEqual(ok.keyField, "uh-username")
    assert.isTrue(Either.isRight(validateRequest(ok)))
    const unknown = fromProtoRequest(
      create(WritebackRequestSchema, { keyField: 9 as KeyField, keyValue: "x" })
    )
    const result = validateRequest(unknown)
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) assert.match(result.left.message, /KeyField\(9\)/)
    const unset = fromProtoRequest(create(WritebackRequestSchema, { processAll: true }))
    assert.strictEqual(unset.keyField, undefined)
  })

  it("reads KEY_FIELD_EMPLOYEE_ID as employee-id, and every proto key field as a domain one", () => {
    const byId = fromProtoRequest(
      create(WritebackRequestSchema, { keyField: KeyField.EMPLOYEE_ID, keyValue: "30202" })
    )
    assert.strictEqual(byId.keyField, "employee-id")
    assert.isTrue(Either.isRight(validateRequest(byId)))
    const mapped = Object.values(KeyField)
      .filter((n): n is KeyField => typeof n === "number" && n !== KeyField.UNSPECIFIED)
      .map((keyField) => fromProtoRequest(create(WritebackRequestSchema, { keyField })).keyField)
    assert.deepStrictEqual(mapped, [...keyFields])
  })

  it("maps every outcome to its proto enum", () => {
    for (const outcome of ["UPDATED", "UNCHANGED", "SKIPPED", "FAILED", "WOULD_UPDATE"] as const) {
      const event = toProtoEvent(
        new UserResult({
          idautoId: "",
          username: "",
          uhUsername: "",
          sapId: "",
          outcome,
          changes: [],
          keptFields: [],
          message: ""
        })
      )
      assert.strictEqual(event.event.case, "user")
      if (event.event.case === "user") assert.notStrictEqual(event.event.value.outcome, 0)
    }
  })

  it("carries an incremental window both ways: request in, RunStarted out (CONTRACT §8)", () => {
    const raw = fromProtoRequest(
      create(WritebackRequestSchema, { processAll: true, changedSinceSeconds: 900 })
    )
    assert.strictEqual(raw.changedSinceSeconds, 900)
    const started = new RunStarted({
      runId: "r",
      logOnly: false,
      readOnly: false,
      processAll: true,
      changedSinceSeconds: 900
    })
    assert.include(toCanonicalJson(started), '"changedSinceSeconds":900')
  })
})
