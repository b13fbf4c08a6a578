// How a run's outcome becomes the consumer's verdict (CONTRACT §8): pure, no broker.
import { AmbiguousKey, LdapConnectionError, RunSummary, UserNotFound } from "@dfo-writeback/domain"
import { assert, describe, it } from "@effect/vitest"
import { verdictOf, verdictOfError } from "../src/EventRun.js"

const summary = (abortReason: string) =>
  new RunSummary({
    runId: "r",
    total: 1,
    skipped: 0,
    unchanged: 0,
    updated: 0,
    wouldUpdate: 0,
    updateFailed: 0,
    fetchFailed: 1,
    skippedByReason: {},
    dfoRequests: 1,
    dfoRetries: 0,
    dfoRateLimited: 0,
    logOnly: false,
    aborted: abortReason !== "",
    abortReason,
    durationMs: 1,
    caller: "events:dfo"
  })

const failure = {
  reason: "SAP_FETCH_FAILED: reading employee 00910001 failed with HTTP 400",
  transient: false
}

describe("EventRun", () => {
  it("a refused key is an outage: consumption pauses", () => {
    const refused = summary(
      "DFØ refused a read (00910001) with HTTP 401: check SAP_API_KEY; no further users are started"
    )
    assert.deepStrictEqual(verdictOf({ failure, summary: refused }), {
      _tag: "Outage",
      reason: refused.abortReason
    })
  })

  it("a FAILED user is this person's failure, even when it tripped the consecutive-failure stop", () => {
    for (const reason of ["", "stopped after 1 consecutive DFØ failures"]) {
      assert.deepStrictEqual(verdictOf({ failure, summary: summary(reason) }), {
        _tag: "Failed",
        reason: failure.reason
      })
    }
  })

  it("a failure DFØ's client called transient is an outage, even when it tripped the consecutive-failure stop", () => {
    const unreachable = {
      reason: "SAP_UPDATE_FAILED: updating employee 00910001 failed with HTTP 503",
      transient: true
    }
    for (const reason of ["", "stopped after 1 consecutive DFØ failures"]) {
      assert.deepStrictEqual(verdictOf({ failure: unreachable, summary: summary(reason) }), {
        _tag: "Outage",
        reason: `DFØ unreachable: ${unreachable.reason}`
      })
    }
    const list = summary(
      "DFØ unreachable: GET https://dfo/ansatte (the list of all employees) failed"
    )
    assert.deepStrictEqual(verdictOf({ failure: undefined, summary: list }), {
      _tag: "Outage",
      reason: list.abortReason
    })
  })

  it("an outcome is done; LDAP unreachable is an outage; no entry or several is an answer", () => {
    assert.deepStrictEqual(verdictOf({ failure: undefined, summary: summary("") }), {
      _tag: "Done"
    })
    const ldap = new LdapConnectionError({ step: "connect", url: "ldap://x", reason: "refused" })
    assert.deepStrictEqual(verdictOfError(ldap), { _tag: "Outage", reason: ldap.message })
    const notFound = new UserNotFound({ keyField: "idautoID", keyValue: "x" })
    const ambiguous = new AmbiguousKey({ keyField: "employee-id", keyValue: "1", matches: 2 })
    assert.deepStrictEqual(verdictOfError(notFound), { _tag: "Done" })
    assert.deepStrictEqual(verdictOfError(ambiguous), { _tag: "Done" })
  })
})
