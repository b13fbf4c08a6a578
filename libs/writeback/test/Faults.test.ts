// Fault injection: a full run over a few hundred generated people while DFØ misbehaves,
// slapd dies, or someone else edits DFØ between the plan and the write.
import { DfoEmulator, type Employee as DfoRecord } from "@dfo-writeback/dfo-emulator"
import {
  AllUsersRequest,
  countsAddUp,
  type RunError,
  type UserResult,
  type WritebackEvent
} from "@dfo-writeback/domain"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Either, Layer, Logger, LogLevel, Stream } from "effect"
import { Writeback, type WritebackConfig } from "../src/index.js"
import * as F from "./fixtures.js"
import * as P from "./population.js"

const services = Layer.mergeAll(
  LdapTestbed.layer({ users: P.count, seed: P.seed }),
  DfoEmulator.layer({ employees: P.dfoRecords() })
)

/** Stalls give up after 300 ms and retries wait milliseconds, so faults cost little time. */
const quick: F.Clients = { dfo: { timeoutMs: 300, maxRetries: 4, retryBaseMs: 10 } }

const full = new AllUsersRequest({ logOnly: false, maxUpdates: 0 })

interface Outcome {
  readonly events: ReadonlyArray<WritebackEvent>
  readonly error: RunError | undefined
}

/** One full run; `onUser` sees the number of users finished so far, as they finish. */
const runAll = (
  clients: F.Clients = quick,
  overrides: Partial<WritebackConfig.WritebackSettings> = {},
  onUser: (finished: number) => Effect.Effect<void> = () => Effect.void
): Effect.Effect<Outcome, never, LdapTestbed.LdapTestbed | DfoEmulator> =>
  Effect.gen(function* () {
    const layer = yield* F.program({ concurrency: 8, ...overrides }, clients)
    const events: Array<WritebackEvent> = []
    let finished = 0
    const ended = yield* Effect.gen(function* () {
      const writeback = yield* Writeback.Service
      yield* Stream.runForEach(writeback.run(full), (event) => {
        events.push(event)
        return event._tag === "UserResult" ? onUser(++finished) : Effect.void
      })
    }).pipe(
      Effect.provide(layer),
      // Hundreds of audit lines a run would only slow the machine the faults are timed on.
      Logger.withMinimumLogLevel(LogLevel.Warning),
      Effect.either
    )
    return { events, error: Either.isLeft(ended) ? ended.left : undefined }
  })

const freshDfo = Effect.gen(function* () {
  const emulator = yield* DfoEmulator
  emulator.reset()
  return emulator
})

const tally = (results: ReadonlyArray<UserResult>) => {
  const of = (outcome: UserResult["outcome"], code?: UserResult["errorCode"]) =>
    results.filter((r) => r.outcome === outcome && (code === undefined || r.errorCode === code))
      .length
  return {
    total: results.length,
    skipped: of("SKIPPED"),
    unchanged: of("UNCHANGED"),
    updated: of("UPDATED"),
    wouldUpdate: of("WOULD_UPDATE"),
    updateFailed: of("FAILED", "SAP_UPDATE_FAILED"),
    fetchFailed: of("FAILED", "SAP_FETCH_FAILED")
  }
}

const countsOf = (summary: ReturnType<typeof F.summaryOf>) => ({
  total: summary.total,
  skipped: summary.skipped,
  unchanged: summary.unchanged,
  updated: summary.updated,
  wouldUpdate: summary.wouldUpdate,
  updateFailed: summary.updateFailed,
  fetchFailed: summary.fetchFailed
})

/**
 * Why a person's result is not acceptable after a run: a skip must match the directory,
 * and a user DFØ knows is either correct in DFØ or FAILED with a DFØ code.
 */
const problemsOf = (
  results: ReadonlyArray<UserResult>,
  holds: (id: string) => DfoRecord | undefined
): ReadonlyArray<string> => {
  const byPerson = P.resultsByPerson(results)
  return P.people.flatMap((person) => {
    const result = byPerson.get(person.idautoId)
    const who = `#${person.index} (${person.payrollId ?? "no payroll id"})`
    if (result === undefined) return [`${who}: no result`]
    const said = `${result.outcome}/${result.skipReason ?? result.errorCode ?? ""}`
    const before = P.dfoRecordOf(person)
    if (!P.eligible(person)) {
      return result.outcome === "SKIPPED" && result.skipReason !== "NOT_IN_SAP"
        ? []
        : [`${who}: the rules skip this person, got ${said}`]
    }
    if (before === undefined) {
      return result.skipReason === "NOT_IN_SAP" || result.errorCode === "SAP_FETCH_FAILED"
        ? []
        : [`${who}: not in DFØ, got ${said}`]
    }
    switch (result.outcome) {
      case "UPDATED":
      case "UNCHANGED":
        return P.differences(person, before, holds(before.id)).map((d) => `${said} ${d}`)
      case "FAILED":
        return result.sapId === before.id &&
          (result.errorCode === "SAP_FETCH_FAILED" || result.errorCode === "SAP_UPDATE_FAILED")
          ? []
          : [`${who}: FAILED without a DFØ code or id: ${result.message}`]
      default:
        return [`${who}: in DFØ, got ${said}`]
    }
  })
}

describe("Writeback under faults", () => {
  layer(services, { timeout: "120 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect(
        "10 % 503, 5 % 429, 2 % stalls: each user correct or FAILED with its code; no wrong write",
        () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            emulator.setFaults({
              errorRate: 0.1,
              tooManyRate: 0.05,
              retryAfterSeconds: 0.02,
              stallRate: 0.02,
              seed: 3
            })
            const { events, error } = yield* runAll()
            assert.isUndefined(error, error?.message)
            const summary = F.summaryOf(events)
            const results = F.users(events)
            assert.isFalse(summary.aborted, summary.abortReason)
            assert.isTrue(countsAddUp(summary))
            assert.strictEqual(summary.total, P.count)
            assert.deepStrictEqual(countsOf(summary), tally(results))
            assert.isAbove(summary.updated, P.count / 4)

            const stats = emulator.stats()
            assert.isAbove(stats.byStatus["503"] ?? 0, 0, "no 503 was drawn")
            assert.isAbove(stats.byStatus["429"] ?? 0, 0, "no 429 was drawn")
            assert.isAbove(stats.stalled, 0, "no stall was drawn")

            assert.deepStrictEqual(
              problemsOf(results, (id) => emulator.employee(id)),
              []
            )
            assert.deepStrictEqual(P.wrongPatches(emulator), [])
            // DFØ took a write only from users reported UPDATED, or FAILED or UNCHANGED after
            // a re-read when the answer to a PUT it applied was lost; every UPDATED user's
            // write landed.
            const written = P.writtenIds(emulator)
            for (const result of results) {
              if (result.outcome === "UPDATED") assert.isTrue(written.has(result.sapId))
            }
            const mayHaveWritten = new Set(
              results
                .filter(
                  (r) =>
                    r.outcome === "UPDATED" ||
                    r.outcome === "FAILED" ||
                    (r.outcome === "UNCHANGED" && /DFØ may have applied/.test(r.message))
                )
                .map((r) => r.sapId)
            )
            for (const id of written) assert.isTrue(mayHaveWritten.has(id), id)

            // Once DFØ behaves, the next run picks up whatever failed.
            emulator.setFaults({ errorRate: 0, tooManyRate: 0, stallRate: 0 })
            const again = F.summaryOf((yield* runAll()).events)
            assert.strictEqual(again.updateFailed + again.fetchFailed, 0)
            assert.isAtMost(again.updated, summary.updateFailed + summary.fetchFailed)
            assert.deepStrictEqual(P.notConverged(emulator), [])
          })
      )

      it.effect("DFØ edited by someone else between the list and the write (CONTRACT §4)", () =>
        Effect.gen(function* () {
          const emulator = yield* freshDfo
          const pick = (state: P.DfoState, skip = 0) => {
            const person = P.people.filter((p) => P.eligible(p) && P.stateOf(p) === state)[skip]
            assert.isDefined(person)
            return person as (typeof P.people)[number]
          }
          const raced = pick("empty")
          const fixed = pick("stale-epost")
          const rewrong = pick("stale-epost", 1)
          const idOf = (person: typeof raced) => person.payrollId as string
          const wantedEpost = (person: typeof raced) => P.wanted(person).epost as string
          const afterList = (person: typeof raced, set: Record<string, string>) =>
            emulator.mutateAfter({ method: "GET", path: "", id: idOf(person), set })
          afterList(raced, { brukerident: "raced" })
          afterList(fixed, { epost: wantedEpost(fixed).toUpperCase() })
          afterList(rewrong, { epost: "someone.else@uni.no" })

          const { events, error } = yield* runAll()
          assert.isUndefined(error)
          const byPerson = P.resultsByPerson(F.users(events))
          const patchesTo = (person: typeof raced) =>
            F.writes(emulator)
              .filter((p) => p.id === idOf(person))
              .map((p) => p.body)

          // A brukerident set after the list is kept; the rest is still written.
          const r1 = byPerson.get(raced.idautoId)
          assert.strictEqual(r1?.outcome, "UPDATED")
          assert.deepStrictEqual(r1?.keptFields, ["brukerident"])
          assert.deepStrictEqual(patchesTo(raced), [
            { eksternIdent: P.wanted(raced).eksternIdent, epost: wantedEpost(raced) }
          ])
          assert.strictEqual(emulator.employee(idOf(raced))?.["brukerident"], "raced")

          // epost already put right by someone else: nothing left to write.
          assert.strictEqual(byPerson.get(fixed.idautoId)?.outcome, "UNCHANGED")
          assert.deepStrictEqual(patchesTo(fixed), [])

          // epost changed to another wrong value: IAM's value is written over it.
          const r3 = byPerson.get(rewrong.idautoId)
          assert.strictEqual(r3?.outcome, "UPDATED")
          assert.deepStrictEqual(r3?.changes, [
            { field: "epost", before: "someone.else@uni.no", after: wantedEpost(rewrong) }
          ])
          assert.deepStrictEqual(patchesTo(rewrong), [{ epost: wantedEpost(rewrong) }])
          assert.strictEqual(emulator.employee(idOf(rewrong))?.["epost"], wantedEpost(rewrong))

          assert.deepStrictEqual(P.wrongPatches(emulator), [])
          assert.deepStrictEqual(
            P.notConverged(emulator).filter((line) => !line.startsWith(idOf(raced))),
            []
          )
        })
      )

      it.effect(
        "slapd killed mid-read: LDAP_CONNECTION_FAILED, nothing wrong written; after a restart one run converges and the next changes nothing",
        () => {
          const killAfter = 40
          return Effect.gen(function* () {
            const emulator = yield* freshDfo
            const testbed = yield* LdapTestbed.LdapTestbed
            // Small pages keep most of the directory unread when slapd goes.
            const slowRead: F.Clients = { ...quick, directory: { pageSize: 10, timeoutMs: 5_000 } }
            const first = yield* runAll(slowRead, {}, (finished) =>
              finished === killAfter ? Effect.promise(() => testbed.kill()) : Effect.void
            )
            assert.strictEqual(first.error?.code, "LDAP_CONNECTION_FAILED", first.error?.message)
            const seen = F.users(first.events).length
            assert.isAtLeast(seen, killAfter)
            assert.isBelow(seen, P.count)
            assert.notStrictEqual(first.events[first.events.length - 1]?._tag, "RunSummary")
            // A full run plans before it writes: losing the directory mid-read writes nothing,
            // and whatever was written would have to be right.
            assert.strictEqual(F.countBy(emulator, "PUT"), 0)
            assert.deepStrictEqual(P.wrongPatches(emulator), [])

            yield* Effect.promise(() => testbed.restart())
            const second = yield* runAll(slowRead)
            assert.isUndefined(second.error, second.error?.message)
            const summary = F.summaryOf(second.events)
            assert.strictEqual(summary.total, P.count)
            assert.strictEqual(summary.updateFailed + summary.fetchFailed, 0)
            assert.isAbove(summary.updated, 0)
            assert.deepStrictEqual(P.notConverged(emulator), [])
            assert.deepStrictEqual(P.wrongPatches(emulator), [])

            emulator.resetLog()
            const third = yield* runAll(slowRead)
            assert.isUndefined(third.error)
            const last = F.summaryOf(third.events)
            assert.deepStrictEqual(
              {
                updated: last.updated,
                wouldUpdate: last.wouldUpdate,
                failed: last.updateFailed + last.fetchFailed
              },
              { updated: 0, wouldUpdate: 0, failed: 0 }
            )
            assert.strictEqual(last.total, P.count)
            assert.isTrue(
              F.users(third.events).every(
                (r) => r.outcome === "UNCHANGED" || r.outcome === "SKIPPED"
              )
            )
            assert.strictEqual(F.countBy(emulator, "PUT"), 0)
          }).pipe(
            // Later suites in this layer need slapd back even when an assertion failed.
            Effect.ensuring(
              Effect.flatMap(LdapTestbed.LdapTestbed, (testbed) =>
                testbed.pid() === undefined ? Effect.promise(() => testbed.restart()) : Effect.void
              )
            )
          )
        }
      )
    }
  )
})
