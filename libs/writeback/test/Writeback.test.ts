import { DfoEmulator } from "@dfo-writeback/dfo-emulator"
import { DfoEmployees } from "@dfo-writeback/dfo-api"
import {
  AllUsersRequest,
  countsAddUp,
  SingleUserRequest,
  type UserResult,
  type WritebackEvent,
  type WritebackRequest
} from "@dfo-writeback/domain"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import { Writeback, WritebackConfig } from "../src/index.js"
import { assert, describe, it, layer } from "@effect/vitest"
import { Chunk, Effect, Either, Layer, Redacted, Stream } from "effect"
import * as F from "./fixtures.js"

const ambiguous = [
  F.person("twin-a", "00200020", { idautoPersonSystem1ID: "twin" }),
  F.person("twin-b", "00200021", { idautoPersonSystem1ID: "twin" })
]

const services = Layer.mergeAll(
  LdapTestbed.layer({ entries: [...F.entries, ...ambiguous] }),
  DfoEmulator.layer({ employees: F.dfoEmployees() })
)

const run = (
  request: WritebackRequest,
  overrides: Partial<WritebackConfig.WritebackSettings> = {}
) =>
  Effect.gen(function* () {
    const layer = yield* F.program(overrides)
    return yield* Effect.gen(function* () {
      const writeback = yield* Writeback.Service
      return Chunk.toReadonlyArray(yield* Stream.runCollect(writeback.run(request)))
    }).pipe(Effect.provide(layer))
  })

const { users, summaryOf } = F
const byName = (events: ReadonlyArray<WritebackEvent>) =>
  new Map(users(events).map((u) => [u.username, u]))

const one = (
  keyValue: string,
  keyField: "username" | "uh-username" | "idautoID" = "username",
  logOnly = false
) => new SingleUserRequest({ keyField, keyValue, logOnly })
const all = (logOnly = false, maxUpdates = 0) => new AllUsersRequest({ logOnly, maxUpdates })

/** Resets DFØ's state and log before a test. */
const freshDfo = Effect.gen(function* () {
  const emulator = yield* DfoEmulator
  emulator.reset()
  return emulator
})

describe("Writeback", () => {
  layer(services, { timeout: "60 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      describe("one user per rule of CONTRACT §4", () => {
        const expectations: ReadonlyArray<{
          readonly name: string
          readonly outcome: UserResult["outcome"]
          readonly skipReason?: UserResult["skipReason"]
          readonly errorCode?: UserResult["errorCode"]
        }> = [
          { name: "deleted", outcome: "SKIPPED", skipReason: "DELETED" },
          { name: "disabled", outcome: "SKIPPED", skipReason: "DISABLED" },
          { name: "missing", outcome: "SKIPPED", skipReason: "MISSING_ATTRIBUTES" },
          { name: "invalid", outcome: "SKIPPED", skipReason: "INVALID_ATTRIBUTES" },
          { name: "notentitled", outcome: "SKIPPED", skipReason: "NOT_ENTITLED_AD" },
          { name: "roleexc", outcome: "SKIPPED", skipReason: "BUSINESS_ROLE_EXCEPTION" },
          { name: "notinsap", outcome: "SKIPPED", skipReason: "NOT_IN_SAP" },
          { name: "unchanged", outcome: "UNCHANGED" },
          { name: "noepost", outcome: "SKIPPED", skipReason: "MISSING_ATTRIBUTES" },
          { name: "multiid", outcome: "SKIPPED", skipReason: "INVALID_ATTRIBUTES" },
          { name: "toolong", outcome: "SKIPPED", skipReason: "INVALID_ATTRIBUTES" },
          { name: "dupa", outcome: "SKIPPED", skipReason: "DUPLICATE_EMPLOYEE_ID" },
          { name: "dupb", outcome: "SKIPPED", skipReason: "DUPLICATE_EMPLOYEE_ID" }
        ]
        for (const e of expectations) {
          it.effect(`${e.name} → ${e.outcome}${e.skipReason ? ` / ${e.skipReason}` : ""}`, () =>
            Effect.gen(function* () {
              const emulator = yield* freshDfo
              const events = yield* run(one(e.name))
              assert.deepStrictEqual(
                events.map((ev) => ev._tag),
                ["RunStarted", "UserResult", "RunSummary"]
              )
              const [user] = users(events)
              assert.strictEqual(user?.outcome, e.outcome)
              assert.strictEqual(user?.skipReason, e.skipReason)
              assert.strictEqual(user?.errorCode, e.errorCode)
              assert.deepStrictEqual(user?.changes, [])
              assert.strictEqual(F.countBy(emulator, "PUT"), 0)
            })
          )
        }

        it.effect("names the missing attribute", () =>
          Effect.gen(function* () {
            yield* freshDfo
            const [user] = users(yield* run(one("missing")))
            assert.match(user?.message ?? "", /idautoPersonPayrollID/)
          })
        )

        it.effect("says why: epost has no mail fallback, limits, several values, duplicates", () =>
          Effect.gen(function* () {
            yield* freshDfo
            const message = (name: string) =>
              Effect.map(run(one(name)), (events) => users(events)[0]?.message ?? "")
            const noEpost = yield* message("noepost")
            assert.match(noEpost, /missing idautoPersonSystem2ID$/)
            assert.match(yield* message("multiid"), /idautoPersonPayrollID has 2 values/)
            assert.match(
              yield* message("toolong"),
              /eksternIdent \(idautoPersonSystem5ID or mail\) is 243 characters; DFØ allows at most 241/
            )
            assert.include(yield* message("dupa"), F.idautoIdOf(F.cases.dupB))
            assert.include(yield* message("dupb"), F.idautoIdOf(F.cases.dupA))
          })
        )

        it.effect("fresh → UPDATED with every field, the PUT holds exactly them", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            const [user] = users(yield* run(one("fresh")))
            assert.strictEqual(user?.outcome, "UPDATED")
            assert.deepStrictEqual(user?.changes, [
              { field: "eksternIdent", before: "", after: "fresh@feide.uni.no" },
              { field: "epost", before: "", after: "fresh@uni.no" },
              { field: "brukerident", before: "", after: "00200010" }
            ])
            assert.deepStrictEqual(F.writes(emulator), [
              {
                id: "00200010",
                body: {
                  eksternIdent: "fresh@feide.uni.no",
                  epost: "fresh@uni.no",
                  brukerident: "00200010"
                }
              }
            ])
            assert.isTrue(emulator.log().every((e) => e.method === "GET" || e.method === "PUT"))
            assert.strictEqual(emulator.employee("00200010")?.["epost"], "fresh@uni.no")
          })
        )

        it.effect("a different brukerident is kept (write-once), the rest is written", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            const [user] = users(yield* run(one("keepsbi")))
            assert.strictEqual(user?.outcome, "UPDATED")
            assert.deepStrictEqual(user?.keptFields, ["brukerident"])
            assert.deepStrictEqual(user?.changes, [
              { field: "epost", before: "old@uni.no", after: "keepsbi@uni.no" }
            ])
            assert.deepStrictEqual(F.writes(emulator), [
              { id: "00200011", body: { epost: "keepsbi@uni.no" } }
            ])
            assert.strictEqual(emulator.employee("00200011")?.["brukerident"], "someoneelse")
          })
        )

        it.effect("falls back to mail for eksternIdent only", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            const [user] = users(yield* run(one("viamail")))
            assert.strictEqual(user?.outcome, "UPDATED")
            assert.deepStrictEqual(F.writes(emulator), [
              {
                id: "00200013",
                body: { eksternIdent: "viamail@mail.uni.no", epost: "viamail@uni.no" }
              }
            ])
          })
        )

        it.effect("an answer without the brukerident key keeps it, and says why", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            const [user] = users(yield* run(one("nokey")))
            assert.strictEqual(user?.outcome, "UPDATED")
            assert.deepStrictEqual(user?.keptFields, ["brukerident"])
            assert.match(user?.message ?? "", /did not include the field/)
            assert.deepStrictEqual(F.writes(emulator), [
              { id: "00200022", body: { epost: "nokey@uni.no" } }
            ])
          })
        )

        it.effect(
          "an unpadded LDAP id reaches DFØ's 8-digit employee, the URL as LDAP holds it",
          () =>
            Effect.gen(function* () {
              const emulator = yield* freshDfo
              const [user] = users(yield* run(one("unpadded")))
              assert.strictEqual(user?.outcome, "UPDATED")
              assert.deepStrictEqual(F.writes(emulator), [
                { id: "200015", body: { epost: "unpadded@uni.no", brukerident: "200015" } }
              ])
            })
        )

        it.effect("a DFØ read failing after retries → FAILED / SAP_FETCH_FAILED", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            emulator.script({ method: "GET", path: "/00200008", status: 503, times: 2 })
            const events = yield* run(one("fetchfails"))
            const [user] = users(events)
            assert.strictEqual(user?.outcome, "FAILED")
            assert.strictEqual(user?.errorCode, "SAP_FETCH_FAILED")
            assert.match(user?.message ?? "", /503/)
            assert.strictEqual(summaryOf(events).fetchFailed, 1)
          })
        )

        it.effect("a rejected PUT → FAILED / SAP_UPDATE_FAILED carrying faultText", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            emulator.script({
              method: "PUT",
              path: "/00200012",
              status: 422,
              faultText: "UGYLDIG EKSTERNIDENT"
            })
            const events = yield* run(one("updatefails"))
            const [user] = users(events)
            assert.strictEqual(user?.outcome, "FAILED")
            assert.strictEqual(user?.errorCode, "SAP_UPDATE_FAILED")
            assert.match(user?.message ?? "", /UGYLDIG EKSTERNIDENT/)
            assert.strictEqual(summaryOf(events).updateFailed, 1)
          })
        )

        it.effect("log_only and SAP_READ_ONLY → WOULD_UPDATE, no PUT", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            const [dry] = users(yield* run(one("fresh", "username", true)))
            const [readOnly] = users(yield* run(one("fresh"), { readOnly: true }))
            for (const user of [dry, readOnly]) {
              assert.strictEqual(user?.outcome, "WOULD_UPDATE")
              assert.strictEqual(user?.changes.length, 3)
            }
            assert.strictEqual(F.countBy(emulator, "PUT"), 0)
          })
        )

        it.effect("brukerident is ignored when its writeback is off", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            const [user] = users(
              yield* run(one("fresh"), {
                rules: { writebackBrukerident: false, businessRoleExceptions: [] }
              })
            )
            assert.deepStrictEqual(
              user?.changes.map((c) => c.field),
              ["eksternIdent", "epost"]
            )
            assert.deepStrictEqual(Object.keys(F.writes(emulator)[0]?.body as object), [
              "eksternIdent",
              "epost"
            ])
          })
        )
      })

      describe("key lookup", () => {
        it.effect("finds the same user by each key field", () =>
          Effect.gen(function* () {
            yield* freshDfo
            for (const [field, value] of [
              ["username", "unchanged"],
              ["uh-username", "unchanged-uh"],
              ["idautoID", F.idautoIdOf(F.cases.unchanged)]
            ] as const) {
              const [user] = users(yield* run(one(value, field)))
              assert.strictEqual(user?.idautoId, F.idautoIdOf(F.cases.unchanged), field)
              assert.strictEqual(user?.outcome, "UNCHANGED", field)
            }
          })
        )

        it.effect("not found and ambiguous fail the run and write nothing", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            const missing = yield* Effect.either(run(one("nobody")))
            assert.isTrue(Either.isLeft(missing) && missing.left._tag === "UserNotFound")
            const twin = yield* Effect.either(run(one("twin")))
            assert.isTrue(Either.isLeft(twin) && twin.left._tag === "AmbiguousKey")
            assert.strictEqual(emulator.log().length, 0)
          })
        )
      })

      describe("full run", () => {
        it.effect(
          "examines every entry; counters add up; one list + a re-read and a PUT per update",
          () =>
            Effect.gen(function* () {
              const emulator = yield* freshDfo
              emulator.script({ method: "GET", path: "/00200008", status: 503, times: 2 })
              emulator.script({ method: "PUT", path: "/00200012", status: 422, faultText: "NEI" })
              const events = yield* run(all())
              const summary = summaryOf(events)
              assert.strictEqual(events[0]?._tag, "RunStarted")
              assert.strictEqual(users(events).length, F.entries.length + 2)
              assert.isTrue(countsAddUp(summary))
              assert.deepStrictEqual(
                {
                  total: summary.total,
                  skipped: summary.skipped,
                  unchanged: summary.unchanged,
                  updated: summary.updated,
                  updateFailed: summary.updateFailed,
                  fetchFailed: summary.fetchFailed
                },
                {
                  total: 22,
                  skipped: 14,
                  unchanged: 1,
                  updated: 5,
                  updateFailed: 1,
                  fetchFailed: 1
                }
              )
              const results = byName(events)
              assert.strictEqual(results.get("fetchfails")?.errorCode, "SAP_FETCH_FAILED")
              // The list holds every employee but 00200008 (scripted 503 on its own GET only)
              // and 00299999 (not in DFØ): each read on its own before it counts as NOT_IN_SAP.
              const gets = emulator.log().filter((e) => e.method === "GET")
              assert.strictEqual(gets.filter((e) => e.path.endsWith("/v2")).length, 1)
              assert.strictEqual(F.countBy(emulator, "PUT"), 6)
              assert.deepStrictEqual(summary.skippedByReason, {
                DELETED: 1,
                DISABLED: 1,
                MISSING_ATTRIBUTES: 2,
                INVALID_ATTRIBUTES: 3,
                NOT_ENTITLED_AD: 1,
                BUSINESS_ROLE_EXCEPTION: 1,
                NOT_IN_SAP: 3,
                DUPLICATE_EMPLOYEE_ID: 2
              })
              assert.strictEqual(summary.dfoRequests, emulator.log().length)
              // The unpadded id joins the list by value: no GET of its own, one re-read.
              assert.strictEqual(gets.filter((e) => e.path.endsWith("/200015")).length, 1)
              // Nothing for the employee two entries claim.
              assert.isFalse(emulator.log().some((e) => /\/0*200019$/.test(e.path)))
            })
        )

        it.effect("a second run changes nothing", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            yield* run(all())
            emulator.resetLog()
            const events = yield* run(all())
            const summary = summaryOf(events)
            assert.strictEqual(summary.updated, 0)
            assert.strictEqual(summary.unchanged, 8)
            assert.strictEqual(F.countBy(emulator, "PUT"), 0)
            // the list, and the three ids missing from it, each read on its own
            assert.strictEqual(F.countBy(emulator, "GET"), 4)
          })
        )

        it.effect("log_only plans and sends no PUT", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            const summary = summaryOf(yield* run(all(true)))
            assert.strictEqual(summary.wouldUpdate, 7)
            assert.isTrue(summary.logOnly)
            assert.strictEqual(F.countBy(emulator, "PUT"), 0)
          })
        )

        it.effect("without the bulk list, reads each employee on its own", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            const summary = summaryOf(yield* run(all(), { bulkList: false }))
            assert.strictEqual(summary.updated, 7)
            assert.isTrue(emulator.log().every((e) => !e.path.endsWith("/v2")))
          })
        )

        it.effect("streams each user as DFØ answers, not a page at a time (progress moves)", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            emulator.setFaults({ latencyMs: 40 })
            const layer = yield* F.program({ bulkList: false, concurrency: 1 })
            // How many employee reads DFØ had answered when each result arrived.
            const answeredAt: Array<number> = []
            yield* Effect.gen(function* () {
              const writeback = yield* Writeback.Service
              yield* Stream.runForEach(writeback.run(all(true)), (event) =>
                Effect.sync(() => {
                  if (event._tag === "UserResult" && event.skipReason !== "DUPLICATE_EMPLOYEE_ID")
                    answeredAt.push(emulator.log().filter((e) => e.status !== undefined).length)
                })
              )
            }).pipe(Effect.provide(layer))
            emulator.setFaults({ latencyMs: 0 })
            const reads = emulator.log().length
            assert.isAbove(reads, 5)
            // The first user read from DFØ reaches the caller long before the last read.
            const fromDfo = answeredAt.filter((n) => n > 0)
            assert.isBelow(fromDfo[0] ?? reads, reads)
            assert.isAbove(new Set(fromDfo).size, reads / 2)
          })
        )

        it.effect("a brukerident set after the list was served is never overwritten", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            emulator.mutateAfter({
              method: "GET",
              path: "",
              id: "00200010",
              set: { brukerident: "raced" }
            })
            const results = byName(yield* run(all()))
            assert.deepStrictEqual(results.get("fresh")?.keptFields, ["brukerident"])
            const patch = F.writes(emulator).find((p) => p.id === "00200010")
            assert.deepStrictEqual(patch?.body, {
              eksternIdent: "fresh@feide.uni.no",
              epost: "fresh@uni.no"
            })
            assert.strictEqual(emulator.employee("00200010")?.["brukerident"], "raced")
          })
        )

        it.effect("mass-update guard: over the limit, nothing is written", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            const byRequest = yield* Effect.either(run(all(false, 2)))
            assert.isTrue(Either.isLeft(byRequest) && byRequest.left._tag === "MassUpdateGuard")
            if (Either.isLeft(byRequest))
              assert.match(
                byRequest.left.message,
                /MASS_UPDATE_GUARD.*at least \d+ updates.*limit of 2/
              )
            const byConfig = yield* Effect.either(run(all(), { maxUpdates: 3 }))
            assert.isTrue(Either.isLeft(byConfig) && byConfig.left._tag === "MassUpdateGuard")
            assert.strictEqual(F.countBy(emulator, "PUT"), 0)
            const withinLimit = summaryOf(yield* run(all(false, 7)))
            assert.strictEqual(withinLimit.updated, 7)
          })
        )

        it.effect("aborts after consecutive DFØ failures and says why", () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            emulator.setFaults({ errorRate: 1 })
            // Without the bulk list: a failed list would end the run before any user's read.
            const events = yield* run(all(), {
              abortAfterConsecutiveFailures: 2,
              concurrency: 1,
              bulkList: false
            })
            const summary = summaryOf(events)
            assert.isTrue(summary.aborted)
            assert.match(summary.abortReason, /2 consecutive/)
            assert.isTrue(countsAddUp(summary))
            assert.isBelow(summary.total, 22)
            assert.strictEqual(F.countBy(emulator, "PUT"), 0)
          })
        )
      })
    }
  )

  it.effect("LDAP down → LdapConnectionError", () =>
    Effect.gen(function* () {
      const layer = Writeback.layer.pipe(
        Layer.provide(
          Layer.mergeAll(
            PortalDirectory.layer({
              url: "ldap://127.0.0.1:1",
              bindDn: "cn=x,dc=meta",
              bindPassword: Redacted.make("secret"),
              baseDn: "ou=Accounts,dc=meta",
              connectTimeoutMs: 1000
            }),
            DfoEmployees.layer({ baseUrl: "http://127.0.0.1:1/x", apiKey: Redacted.make("k") }),
            WritebackConfig.layer(F.settings())
          )
        )
      )
      const result = yield* Effect.either(
        Effect.gen(function* () {
          const writeback = yield* Writeback.Service
          return yield* Stream.runCollect(writeback.run(all()))
        }).pipe(Effect.provide(layer))
      )
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left._tag, "LdapConnectionError")
        assert.notInclude(result.left.message, "secret")
      }
    })
  )
})
