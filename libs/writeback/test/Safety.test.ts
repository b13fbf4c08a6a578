import { DfoEmulator, startEmulator } from "@dfo-writeback/dfo-emulator"
import {
  AllUsersRequest,
  countsAddUp,
  SingleUserRequest,
  type WritebackEvent,
  type WritebackRequest
} from "@dfo-writeback/domain"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { Writeback } from "../src/index.js"
import { assert, describe, layer } from "@effect/vitest"
import { Chunk, Effect, HashMap, Layer, List, Logger, LogLevel, Stream } from "effect"
import * as F from "./fixtures.js"

/** One log line as the program emitted it: message and annotations. */
interface Line {
  readonly message: string
  readonly fields: Readonly<Record<string, unknown>>
}

/** Runs a request, collecting its events and every log line it wrote. */
const run = (
  request: WritebackRequest,
  overrides: Parameters<typeof F.program>[0] = {},
  clients: F.Clients = {},
  minimumLevel: LogLevel.LogLevel = LogLevel.Info,
  /** Audit lines the log takes before its disk is full (it then throws, as LogFormat does). */
  auditCapacity = Infinity
) =>
  Effect.gen(function* () {
    const lines: Array<Line> = []
    let audited = 0
    const collector = Logger.make(({ annotations, message }) => {
      const text = List.isList(message) ? List.toArray(message).join(" ") : String(message)
      const fields = Object.fromEntries(HashMap.toEntries(annotations))
      if (fields["audit"] === true && audited++ >= auditCapacity) {
        throw new Error("ENOSPC: no space left on device, write")
      }
      lines.push({ message: text, fields })
    })
    const program = yield* F.program(overrides, clients)
    const events = yield* Effect.gen(function* () {
      const writeback = yield* Writeback.Service
      return Chunk.toReadonlyArray(
        yield* Stream.runCollect(writeback.run(request, { caller: "tests" }))
      )
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          program,
          Logger.replace(Logger.defaultLogger, collector),
          Logger.minimumLogLevel(minimumLevel)
        )
      )
    )
    return { events, lines }
  })

const one = (keyValue: string) =>
  new SingleUserRequest({ keyField: "username", keyValue, logOnly: false })
const all = () => new AllUsersRequest({ logOnly: false, maxUpdates: 0 })

const audits = (lines: ReadonlyArray<Line>, phase: "intent" | "done") =>
  lines.filter((l) => l.message === "audit" && l.fields["audit_phase"] === phase)

const freshDfo = Effect.gen(function* () {
  const emulator = yield* DfoEmulator
  emulator.reset()
  emulator.setApiKeys([
    { key: emulator.apiKey, plan: "read-write" },
    { key: "read-only-key", plan: "read-only" }
  ])
  return emulator
})

const services = Layer.mergeAll(
  LdapTestbed.layer({ entries: F.entries }),
  DfoEmulator.layer({ employees: F.dfoEmployees() })
)

describe("Writeback: writes DFØ can show are right now (issue #10)", () => {
  layer(services, { timeout: "60 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect("a retried write re-reads first and keeps a brukerident set meanwhile", () =>
        Effect.gen(function* () {
          const emulator = yield* freshDfo
          emulator.script({
            method: "PUT",
            path: "/00200010",
            status: 503,
            headers: { "retry-after": "0" }
          })
          // Someone else sets brukerident while DFØ answers 503.
          emulator.mutateAfter({
            method: "PUT",
            path: "/00200010",
            id: "00200010",
            set: { brukerident: "raced" }
          })
          const { events, lines } = yield* run(one("fresh"))
          const [user] = F.users(events)
          assert.strictEqual(user?.outcome, "UPDATED")
          assert.deepStrictEqual(user?.keptFields, ["brukerident"])
          const requests = emulator
            .log()
            .map((e) => `${e.method} ${e.path.split("/").pop()} ${e.status}`)
          assert.deepStrictEqual(requests, [
            "GET 00200010 200",
            "PUT 00200010 503",
            "GET 00200010 200",
            "PUT 00200010 200"
          ])
          assert.deepStrictEqual(F.writes(emulator)[1]?.body, {
            eksternIdent: "fresh@feide.uni.no",
            epost: "fresh@uni.no"
          })
          assert.strictEqual(emulator.employee("00200010")?.["brukerident"], "raced")
          // Each PUT has its intent line before it and its done line after it.
          assert.deepStrictEqual(
            audits(lines, "intent").map((l) => l.fields["attempt"]),
            [1, 2]
          )
          assert.deepStrictEqual(
            audits(lines, "done").map((l) => [l.fields["result"], l.fields["status"]]),
            [
              ["rejected", 503],
              ["written", undefined]
            ]
          )
          for (const line of audits(lines, "intent")) {
            assert.strictEqual(line.fields["caller"], "tests")
            assert.strictEqual(line.fields["sap_id"], "00200010")
            assert.strictEqual(line.fields["idauto_id"], F.idautoIdOf(F.cases.fresh))
            assert.isString(line.fields["run_id"])
          }
          assert.strictEqual(F.summaryOf(events).dfoRequests, 4)
        })
      )

      it.effect(
        "no log level silences the audit lines (LOG_LEVEL=none, a terminal's warnings only)",
        () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            const { lines } = yield* run(one("fresh"), {}, {}, LogLevel.None)
            assert.strictEqual(F.countBy(emulator, "PUT"), 1)
            assert.strictEqual(audits(lines, "intent").length, 1)
            assert.strictEqual(audits(lines, "done").length, 1)
            assert.isTrue(lines.every((line) => line.message === "audit"))
          })
      )

      it.effect("a 200 whose employee does not hold a written value → FAILED naming it", () =>
        Effect.gen(function* () {
          const emulator = yield* freshDfo
          // DFØ keeps a brukerident once set: someone sets it between our read and our write.
          emulator.mutateAfter({
            method: "GET",
            path: "/00200010",
            id: "00200010",
            set: { brukerident: "ABC123" }
          })
          const { events, lines } = yield* run(one("fresh"))
          const [user] = F.users(events)
          assert.strictEqual(user?.outcome, "FAILED")
          assert.strictEqual(user?.errorCode, "SAP_UPDATE_FAILED")
          assert.match(user?.message ?? "", /brukerident does not hold the written value/)
          assert.strictEqual(emulator.employee("00200010")?.["brukerident"], "ABC123")
          assert.deepStrictEqual(audits(lines, "done")[0]?.fields["unheld"], ["brukerident"])
        })
      )

      it.effect(
        "a gateway cache never answers the read before a write: a brukerident set meanwhile is kept",
        () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            emulator.setFaults({ gatewayCache: true })
            // Another client's read without X-Gravitee-Cache: BY_PASS caches an empty brukerident...
            const cached = yield* Effect.promise(() =>
              fetch(`${emulator.baseUrl}/00200010`, {
                headers: { "x-gravitee-api-key": emulator.apiKey }
              }).then((response) => response.json())
            )
            assert.deepInclude(cached, { ansatt: [emulator.employee("00200010")] })
            // ...then someone sets it in DFØ.
            emulator.updateEmployee("00200010", { brukerident: "raced" })
            const { events } = yield* run(one("fresh"))
            const [user] = F.users(events)
            assert.strictEqual(user?.outcome, "UPDATED", user?.message)
            assert.deepStrictEqual(user?.keptFields, ["brukerident"])
            assert.deepStrictEqual(
              F.writes(emulator).map((w) => Object.keys(w.body as object)),
              [["eksternIdent", "epost"]]
            )
            assert.strictEqual(emulator.employee("00200010")?.["brukerident"], "raced")
          })
      )

      it.effect("a read-only key (405 on PUT) stops the run at once, naming the plan", () =>
        Effect.gen(function* () {
          const emulator = yield* freshDfo
          const { events } = yield* run(
            all(),
            { concurrency: 1 },
            { dfo: { apiKey: "read-only-key" } }
          )
          const summary = F.summaryOf(events)
          assert.isTrue(summary.aborted)
          assert.match(summary.abortReason, /HTTP 405/)
          assert.match(summary.abortReason, /plan/)
          assert.isTrue(countsAddUp(summary))
          assert.strictEqual(summary.updateFailed, 1)
          assert.strictEqual(F.countBy(emulator, "PUT"), 1)
          assert.isTrue(emulator.log().every((e) => e.method === "GET" || e.method === "PUT"))
        })
      )

      it.effect("an audit line the log cannot take: its write is not sent, the run aborts", () =>
        Effect.gen(function* () {
          const emulator = yield* freshDfo
          // Two writes' intent and done lines fit; the third write's intent line does not.
          const { events, lines } = yield* run(all(), { concurrency: 1 }, {}, LogLevel.Info, 4)
          const summary = F.summaryOf(events)
          assert.isTrue(summary.aborted)
          assert.match(summary.abortReason, /^the audit log could not be written: ENOSPC/)
          assert.strictEqual(summary.updated, 2)
          assert.strictEqual(F.countBy(emulator, "PUT"), 2)
          assert.deepStrictEqual(
            audits(lines, "intent").map((line) => line.fields["sap_id"]),
            emulator
              .log()
              .filter((entry) => entry.method === "PUT")
              .map((entry) => entry.path.split("/").pop())
          )
          const notSent = F.users(events).filter((user) => /not sent/.test(user.message))
          assert.strictEqual(notSent.length, 1)
          assert.strictEqual(notSent[0]?.outcome, "FAILED")
          assert.isTrue(countsAddUp(summary))
        })
      )

      it.effect("a refused key (401) on the bulk list ends the run before any user is read", () =>
        Effect.gen(function* () {
          const emulator = yield* freshDfo
          const { events } = yield* run(all(), {}, { dfo: { apiKey: "wrong-key" } })
          const summary = F.summaryOf(events)
          assert.isTrue(summary.aborted)
          assert.match(summary.abortReason, /HTTP 401.*SAP_API_KEY/)
          // One request: the list. No user was read on its own.
          assert.strictEqual(emulator.log().length, 1)
          assert.strictEqual(summary.dfoRequests, 1)
          assert.strictEqual(summary.fetchFailed, 0)
          assert.isTrue(
            F.users(events).every(
              (u: WritebackEvent & { outcome?: string }) => u.outcome === "SKIPPED"
            )
          )
        })
      )

      it.effect("a 401 names the key and the gateway's token service; 403 the key alone", () =>
        Effect.gen(function* () {
          const emulator = yield* freshDfo
          // A token service failing behind the gateway answers 401 whatever the key.
          emulator.script({
            method: "GET",
            path: "",
            status: 401,
            body: { message: "Unauthorized" }
          })
          const unauthorized = F.summaryOf((yield* run(all())).events)
          assert.isTrue(unauthorized.aborted)
          assert.match(unauthorized.abortReason, /HTTP 401/)
          assert.match(unauthorized.abortReason, /SAP_API_KEY/)
          assert.match(unauthorized.abortReason, /token service/)

          emulator.script({ method: "GET", path: "", status: 403, body: { message: "Forbidden" } })
          const forbidden = F.summaryOf((yield* run(all())).events)
          assert.isTrue(forbidden.aborted)
          assert.match(forbidden.abortReason, /HTTP 403.*refused the API key: check SAP_API_KEY/)
          assert.notMatch(forbidden.abortReason, /token service/)
          assert.strictEqual(F.countBy(emulator, "PUT"), 0)
        })
      )

      it.effect("DFØ unreachable (emulator stopped): aborted after the list's attempts alone", () =>
        Effect.gen(function* () {
          const emulator = yield* freshDfo
          // A DFØ that was there and is gone: its port now refuses connections.
          const gone = yield* Effect.promise(() => startEmulator())
          yield* Effect.promise(() => gone.stop())
          const { events, lines } = yield* run(
            all(),
            {},
            { dfo: { baseUrl: gone.baseUrl, apiKey: "secret-key-71c9", maxRetries: 2 } }
          )
          const summary = F.summaryOf(events)
          assert.isTrue(summary.aborted)
          assert.strictEqual(
            summary.abortReason.slice(0, `DFØ unreachable: GET ${gone.baseUrl} `.length),
            `DFØ unreachable: GET ${gone.baseUrl} `
          )
          assert.match(summary.abortReason, /ECONNREFUSED.*after 3 attempts/)
          // The list's three attempts, nothing per user.
          assert.strictEqual(summary.dfoRequests, 3)
          assert.strictEqual(summary.fetchFailed, 0)
          assert.isTrue(F.users(events).every((u) => u.outcome === "SKIPPED"))
          assert.strictEqual(emulator.log().length, 0)
          for (const line of lines) assert.notInclude(JSON.stringify(line), "secret-key-71c9")
        })
      )

      it.effect("503 on every attempt at the list: aborted, DFØ got only those attempts", () =>
        Effect.gen(function* () {
          const emulator = yield* freshDfo
          emulator.script({ method: "GET", path: "", status: 503, times: 2 })
          const { events } = yield* run(all())
          const summary = F.summaryOf(events)
          assert.isTrue(summary.aborted)
          assert.match(summary.abortReason, /^DFØ unreachable: .*HTTP 503.*after 2 attempts/)
          assert.deepStrictEqual(
            emulator.log().map((e) => `${e.method} ${e.path} ${e.status}`),
            [`GET ${emulator.basePath} 503`, `GET ${emulator.basePath} 503`]
          )
          assert.strictEqual(summary.fetchFailed, 0)
        })
      )

      it.effect("a list DFØ answered but unusable (malformed) falls back to one read each", () =>
        Effect.gen(function* () {
          const emulator = yield* freshDfo
          emulator.script({ method: "GET", path: "", status: 200, body: '{"ansatt":[' })
          const { events } = yield* run(all())
          const summary = F.summaryOf(events)
          assert.isFalse(summary.aborted, summary.abortReason)
          assert.isAbove(summary.updated, 0)
          assert.isAbove(F.countBy(emulator, "GET"), 2)
        })
      )

      it.effect("without the list, DFØ unreachable aborts after the consecutive failures", () =>
        Effect.gen(function* () {
          yield* freshDfo
          const gone = yield* Effect.promise(() => startEmulator())
          yield* Effect.promise(() => gone.stop())
          const { events } = yield* run(
            all(),
            { bulkList: false, concurrency: 1, abortAfterConsecutiveFailures: 3 },
            { dfo: { baseUrl: gone.baseUrl } }
          )
          const summary = F.summaryOf(events)
          assert.isTrue(summary.aborted)
          assert.match(summary.abortReason, /3 consecutive DFØ failures.*ECONNREFUSED/)
          assert.strictEqual(summary.fetchFailed, 3)
          // Three users, each one attempt and one retry.
          assert.strictEqual(summary.dfoRequests, 6)
        })
      )

      it.effect("a refused key (401) on a single user fails it and aborts the run", () =>
        Effect.gen(function* () {
          const emulator = yield* freshDfo
          const { events } = yield* run(one("fresh"), {}, { dfo: { apiKey: "wrong-key" } })
          const summary = F.summaryOf(events)
          assert.isTrue(summary.aborted)
          assert.strictEqual(summary.fetchFailed, 1)
          assert.strictEqual(emulator.log().length, 1)
        })
      )

      it.effect(
        "two entries with one employee id: nothing written, in three runs, and it converges",
        () =>
          Effect.gen(function* () {
            const emulator = yield* freshDfo
            const summaries = []
            for (let i = 0; i < 3; i++) {
              const { events } = yield* run(all())
              summaries.push(F.summaryOf(events))
              const results = F.users(events).filter(
                (u) => u.username === "dupa" || u.username === "dupb"
              )
              assert.deepStrictEqual(
                results.map((u) => u.skipReason),
                ["DUPLICATE_EMPLOYEE_ID", "DUPLICATE_EMPLOYEE_ID"]
              )
            }
            assert.isFalse(emulator.log().some((e) => /\/0*200019$/.test(e.path)))
            assert.strictEqual(emulator.employee("00200019")?.["epost"], null)
            assert.strictEqual(summaries[2]?.updated, 0)
            assert.strictEqual(summaries[1]?.updated, 0)
          })
      )
    }
  )
})
