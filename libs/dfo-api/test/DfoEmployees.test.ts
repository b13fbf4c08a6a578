import { DfoEmployees } from "../src/index.js"
// The tests run against the real emulator (DESIGN: "the emulator over real HTTP"), a tool.
import {
  DfoEmulator,
  type Emulator,
  makeEmployee,
  makeEmployees
} from "@dfo-writeback/dfo-emulator"
import { SapFetchError, SapUpdateError } from "@dfo-writeback/domain"
import { assert, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Fiber, Layer, Option } from "effect"

const KEY = "emulator-secret-7f3a"

const EMPLOYEES = [
  ...makeEmployees(4),
  makeEmployee({ id: "00200001", eksternIdent: null, epost: "", brukerident: undefined }),
  makeEmployee({ id: "00200002", epost: "  ", brukerident: "keep01", nyttFelt: { a: 1 } })
]

/** A client of the suite's emulator; retries fast and without a rate limit unless told. */
const client = (options: Partial<DfoEmployees.DfoEmployeesOptions> = {}) =>
  Layer.unwrapEffect(
    Effect.map(DfoEmulator, (emu) =>
      DfoEmployees.layer({
        baseUrl: emu.baseUrl,
        apiKey: emu.apiKey,
        maxRps: Infinity,
        retryBaseMs: 10,
        ...options
      })
    )
  )

/** The emulator, reset to its seed, and a client. */
const setup = Effect.gen(function* () {
  const emu = yield* DfoEmulator
  emu.reset()
  const dfo = yield* DfoEmployees.DfoEmployees
  return { emu, dfo }
})

const waitFor = (condition: () => boolean) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 5_000
    while (!condition()) {
      if (Date.now() > deadline) return yield* Effect.dieMessage("condition not met within 5 s")
      yield* Effect.sleep("5 millis")
    }
  })

const requestsTo = (emu: Emulator, method: string, path: string) =>
  emu.log().filter((e) => e.method === method && e.path === `${emu.basePath}${path}`)

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return failure
}

// Live clock: retries, rate limits and timeouts are about real time against a real server.
layer(DfoEmulator.layer({ apiKey: KEY, employees: EMPLOYEES }), { excludeTestServices: true })(
  "DfoEmployees against the emulator",
  (it) => {
    it.effect(
      "get answers the employee, with null/blank fields absent and unknown fields dropped",
      () =>
        Effect.gen(function* () {
          const { dfo } = yield* setup
          const full = yield* dfo.get("00100001")
          const expected = EMPLOYEES[0] as Record<string, unknown>
          assert.deepStrictEqual(
            full,
            Option.some({
              id: "00100001",
              eksternIdent: expected["eksternIdent"] as string,
              epost: expected["epost"] as string,
              brukerident: expected["brukerident"] as string
            })
          )
          assert.deepStrictEqual(yield* dfo.get("00200001"), Option.some({ id: "00200001" }))
          assert.deepStrictEqual(
            yield* dfo.get("00200002"),
            Option.some({
              id: "00200002",
              eksternIdent: makeEmployee({ id: "00200002" })["eksternIdent"] as string,
              brukerident: "keep01"
            })
          )
        }).pipe(Effect.provide(client()))
    )

    it.effect("get answers None only for DFØ's IKKE ANSATT 404", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        assert.deepStrictEqual(yield* dfo.get("00999999"), Option.none())
        assert.strictEqual(requestsTo(emu, "GET", "/00999999").length, 1)

        emu.script({ path: "/00100001", status: 404, faultText: "Ressursen finnes ikke" })
        const other = failureOf(yield* Effect.exit(dfo.get("00100001")))
        assert.instanceOf(other, SapFetchError)
        assert.strictEqual(other.status, 404)
        assert.strictEqual(other.faultText, "Ressursen finnes ikke")
        assert.strictEqual(other.attempts, 1)
      }).pipe(Effect.provide(client()))
    )

    it.effect("a gateway 404 (wrong base path) is a failure, not a missing employee", () =>
      Effect.gen(function* () {
        const emu = yield* DfoEmulator
        const wrongBase = DfoEmployees.layer({
          baseUrl: `${emu.origin}/dfo/ansatte/v9`,
          apiKey: KEY,
          maxRps: Infinity
        })
        const exit = yield* Effect.exit(
          Effect.flatMap(DfoEmployees.DfoEmployees, (dfo) => dfo.get("00100001")).pipe(
            Effect.provide(wrongBase)
          )
        )
        const error = failureOf(exit)
        assert.strictEqual(error.code, "SAP_FETCH_FAILED")
        assert.strictEqual(error.status, 404)
        assert.strictEqual(error.faultText, undefined)
        assert.strictEqual(error.sapId, "00100001")
        assert.match(error.reason, /No context-path matches/)
      })
    )

    it.effect("list answers every employee", () =>
      Effect.gen(function* () {
        const { dfo } = yield* setup
        const all = yield* dfo.list()
        assert.deepStrictEqual(
          all.map((e) => e.id),
          EMPLOYEES.map((e) => e.id)
        )
        assert.deepStrictEqual(all[4], { id: "00200001" })
      }).pipe(Effect.provide(client()))
    )

    it.effect("patch sends only the given fields as JSON and accepts 204 and 200", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        yield* dfo.patch("00100002", { epost: "ny@uni.example.no" })
        const sent = requestsTo(emu, "PATCH", "/00100002")
        assert.strictEqual(sent.length, 1)
        assert.strictEqual(sent[0]?.status, 204)
        assert.deepStrictEqual(sent[0]?.body, { epost: "ny@uni.example.no" })
        assert.strictEqual(emu.employee("00100002")?.["epost"], "ny@uni.example.no")

        emu.setFaults({ patchStatus: 200 })
        yield* dfo.patch("00100002", { eksternIdent: "feide@uni.example.no", brukerident: "nyb01" })
        const second = requestsTo(emu, "PATCH", "/00100002")[1]
        assert.strictEqual(second?.status, 200)
        assert.deepStrictEqual(second?.body, {
          eksternIdent: "feide@uni.example.no",
          brukerident: "nyb01"
        })

        yield* dfo.patch("00100002", {})
        assert.strictEqual(requestsTo(emu, "PATCH", "/00100002").length, 2)
      }).pipe(Effect.provide(client()))
    )

    it.effect(
      "a wrong API key is a 401 failure without retries, and no key appears in errors",
      () =>
        Effect.gen(function* () {
          const emu = yield* DfoEmulator
          emu.reset()
          const wrongKey = "wrong-secret-9c1d"
          const layer = DfoEmployees.layer({
            baseUrl: emu.baseUrl,
            apiKey: wrongKey,
            maxRps: Infinity
          })
          const [read, write] = yield* Effect.flatMap(DfoEmployees.DfoEmployees, (dfo) =>
            Effect.all([
              Effect.exit(dfo.get("00100001")),
              Effect.exit(dfo.patch("00100001", { epost: "x@uni.example.no" }))
            ])
          ).pipe(Effect.provide(layer))
          const readError = failureOf(read)
          const writeError = failureOf(write)
          assert.instanceOf(readError, SapFetchError)
          assert.instanceOf(writeError, SapUpdateError)
          for (const error of [readError, writeError]) {
            assert.strictEqual(error.status, 401)
            assert.strictEqual(error.attempts, 1)
            assert.match(error.reason, /API key/)
            for (const text of [String(error), error.message, JSON.stringify(error)]) {
              assert.notInclude(text, wrongKey)
              assert.notInclude(text, KEY)
            }
          }
          assert.strictEqual(emu.stats().requests, 2)
        })
    )

    it.effect("400 and 422 carry DFØ's faultText into the error and are not retried", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        const invalid = failureOf(
          yield* Effect.exit(dfo.patch("00100001", { epost: "ikke-epost" }))
        )
        assert.strictEqual(invalid.code, "SAP_UPDATE_FAILED")
        assert.strictEqual(invalid.status, 422)
        assert.strictEqual(invalid.faultText, "Ugyldig e-postadresse: ikke-epost")
        assert.strictEqual(invalid.sapId, "00100001")
        assert.strictEqual(invalid.attempts, 1)
        assert.include(invalid.message, "Ugyldig e-postadresse")

        emu.script({ method: "PATCH", path: "/00100003", status: 400, faultText: "Feil i feltet" })
        const rejected = failureOf(
          yield* Effect.exit(dfo.patch("00100003", { brukerident: "abc" }))
        )
        assert.strictEqual(rejected.status, 400)
        assert.strictEqual(rejected.faultText, "Feil i feltet")
        assert.strictEqual(requestsTo(emu, "PATCH", "/00100001").length, 1)
        assert.strictEqual(requestsTo(emu, "PATCH", "/00100003").length, 1)
      }).pipe(Effect.provide(client()))
    )

    it.effect("503 twice, then success: three attempts", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        emu.script({ method: "GET", path: "/00100001", times: 2, status: 503 })
        const found = yield* dfo.get("00100001")
        assert.isTrue(Option.isSome(found))
        assert.deepStrictEqual(
          requestsTo(emu, "GET", "/00100001").map((e) => e.status),
          [503, 503, 200]
        )
        const stats = yield* dfo.stats()
        assert.strictEqual(stats.requests.GET, 3)
        assert.strictEqual(stats.retries, 2)
        assert.strictEqual(stats.failures, 0)
      }).pipe(Effect.provide(client()))
    )

    it.effect("a dropped connection and a 502/504 are retried too", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        emu.script(
          { method: "PATCH", path: "/00100004", reset: true },
          { method: "PATCH", path: "/00100004", status: 502 },
          { method: "PATCH", path: "/00100004", status: 504 }
        )
        yield* dfo.patch("00100004", { epost: "etter@uni.example.no" })
        assert.strictEqual(requestsTo(emu, "PATCH", "/00100004").length, 4)
        assert.strictEqual(emu.employee("00100004")?.["epost"], "etter@uni.example.no")
      }).pipe(Effect.provide(client()))
    )

    it.effect("429 with Retry-After: 1 waits at least a second", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        emu.script({ path: "/00100001", status: 429, headers: { "Retry-After": "1" } })
        const started = Date.now()
        yield* dfo.get("00100001")
        assert.isAtLeast(Date.now() - started, 990)
        assert.strictEqual((yield* dfo.stats()).rateLimited, 1)
      }).pipe(Effect.provide(client()))
    )

    it.effect("Retry-After as an HTTP date is honoured", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        const at = new Date(Date.now() + 2_000)
        emu.script({ path: "/00100001", status: 503, headers: { "Retry-After": at.toUTCString() } })
        yield* dfo.get("00100001")
        // The date has whole seconds; the wait is until then at least.
        assert.isAtLeast(Date.now(), Math.floor(at.getTime() / 1000) * 1000 - 10)
      }).pipe(Effect.provide(client()))
    )

    it.effect("retries exhausted: the error says how many attempts were made", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        emu.setFaults({ errorRate: 1 })
        const error = failureOf(yield* Effect.exit(dfo.list()))
        assert.strictEqual(error.status, 503)
        assert.strictEqual(error.attempts, 3)
        assert.strictEqual(error.sapId, undefined)
        assert.match(error.message, /after 3 attempts/)
        assert.strictEqual(emu.stats().requests, 3)
      }).pipe(Effect.provide(client({ maxRetries: 2 })))
    )

    it.effect("a stalled answer times out, and the request is aborted", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        emu.script({ path: "/00100001", stall: true, times: 2 })
        const started = Date.now()
        const error = failureOf(yield* Effect.exit(dfo.get("00100001")))
        assert.isAtLeast(Date.now() - started, 2 * 300 - 10)
        assert.strictEqual(error.attempts, 2)
        assert.strictEqual(error.status, undefined)
        assert.match(error.reason, /within 300 ms/)
        yield* waitFor(() => emu.log().filter((e) => e.aborted).length === 2)
        assert.strictEqual((yield* dfo.stats()).timeouts, 2)
      }).pipe(Effect.provide(client({ timeoutMs: 300, maxRetries: 1 })))
    )

    it.effect("the rate limit holds across concurrent callers", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        const started = Date.now()
        yield* Effect.all(
          Array.from({ length: 6 }, () => dfo.get("00100001")),
          { concurrency: "unbounded" }
        )
        // Six requests at 5 a second with a burst of 1: five waits of 200 ms at least.
        assert.isAtLeast(Date.now() - started, 5 * 200 - 10)
        const times = requestsTo(emu, "GET", "/00100001").map((e) => e.time)
        assert.strictEqual(times.length, 6)
      }).pipe(Effect.provide(client({ maxRps: 5, burst: 1 })))
    )

    it.effect("interruption aborts an in-flight request at once", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        emu.script({ path: "/00100001", stall: true })
        const fiber = yield* Effect.fork(dfo.get("00100001"))
        yield* waitFor(() => emu.stats().stalled === 1)
        yield* Fiber.interrupt(fiber)
        // The client's timeout is a minute: only the interruption can have closed it.
        yield* waitFor(() => emu.log()[0]?.aborted === true)
        assert.strictEqual(emu.stats().inFlight, 0)
        assert.strictEqual(emu.stats().requests, 1)
      }).pipe(Effect.provide(client({ timeoutMs: 60_000 })))
    )

    it.effect("a malformed JSON body is a failure with a clear reason", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        emu.script(
          { path: "/00100001", body: '{"ansatt":[{"id":' },
          { path: "", body: '{"ansatt":"nope"}' }
        )
        const one = failureOf(yield* Effect.exit(dfo.get("00100001")))
        assert.match(one.reason, /malformed JSON/)
        assert.strictEqual(one.attempts, 1)
        const all = failureOf(yield* Effect.exit(dfo.list()))
        assert.match(all.reason, /unexpected JSON/)
      }).pipe(Effect.provide(client()))
    )

    it.effect("an answer for another employee is refused", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        emu.script({ path: "/00100001", body: { ansatt: [{ id: "00100002" }] } })
        const error = failureOf(yield* Effect.exit(dfo.get("00100001")))
        assert.match(error.reason, /expected employee 00100001 alone/)
      }).pipe(Effect.provide(client()))
    )

    it.effect("bodies over the limits are refused, with or without Content-Length", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        const big = JSON.stringify({
          ansatt: [{ id: "00100001", notat: "x".repeat(1024 * 1024) }]
        })
        emu.script(
          { path: "/00100001", body: big },
          { path: "/00100001", body: big, chunked: true }
        )
        for (let i = 0; i < 2; i++) {
          const error = failureOf(yield* Effect.exit(dfo.get("00100001")))
          assert.match(error.reason, /larger than 1048576 bytes/)
        }
        const list = failureOf(
          yield* Effect.exit(
            Effect.flatMap(DfoEmployees.DfoEmployees, (small) => small.list()).pipe(
              Effect.provide(
                DfoEmployees.layer({ baseUrl: emu.baseUrl, apiKey: KEY, maxListBytes: 2_000 })
              )
            )
          )
        )
        assert.match(list.reason, /larger than 2000 bytes/)
        // The limit is per call: a normal answer still comes through afterwards.
        assert.isTrue(Option.isSome(yield* dfo.get("00100001")))
      }).pipe(Effect.provide(client()))
    )

    it.effect("ids that are not 1–12 digits never reach a URL", () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        for (const id of ["", "12a", "1234567890123", "../00100001", "1?x=1"]) {
          const read = failureOf(yield* Effect.exit(dfo.get(id)))
          assert.strictEqual(read.attempts, 0)
          assert.strictEqual(read.sapId, id)
          const write = failureOf(yield* Effect.exit(dfo.patch(id, { epost: "a@b.no" })))
          assert.strictEqual(write.code, "SAP_UPDATE_FAILED")
        }
        assert.strictEqual(emu.stats().requests, 0)
      }).pipe(Effect.provide(client()))
    )

    it.effect("layerConfig reads CONTRACT §6's variables", () =>
      Effect.gen(function* () {
        const emu = yield* DfoEmulator
        emu.reset()
        const provider = ConfigProvider.fromMap(
          new Map([
            ["SAP_ANSATT_BASE_URL", emu.baseUrl],
            ["SAP_API_KEY", KEY],
            ["SAP_MAX_RPS", "100"],
            ["SAP_MAX_RETRIES", "0"]
          ])
        )
        const found = yield* Effect.flatMap(DfoEmployees.DfoEmployees, (dfo) =>
          dfo.get("00100003")
        ).pipe(Effect.provide(DfoEmployees.layerConfig), Effect.withConfigProvider(provider))
        assert.isTrue(Option.isSome(found))

        const broken = ConfigProvider.fromMap(
          new Map([
            ["SAP_ANSATT_BASE_URL", "ftp://nope"],
            ["SAP_MAX_RPS", "0"],
            ["SAP_API_KEY", "top-secret-value"]
          ])
        )
        const exit = yield* Effect.exit(
          Effect.flatMap(DfoEmployees.DfoEmployees, (dfo) => dfo.stats()).pipe(
            Effect.provide(DfoEmployees.layerConfig),
            Effect.withConfigProvider(broken)
          )
        )
        assert.isTrue(Exit.isFailure(exit))
        const text = String(Exit.isFailure(exit) ? exit.cause : "")
        assert.include(text, "SAP_ANSATT_BASE_URL must be an http(s) URL")
        assert.include(text, "SAP_MAX_RPS must be greater than 0")
        assert.notInclude(text, "top-secret-value")
      })
    )
  }
)
