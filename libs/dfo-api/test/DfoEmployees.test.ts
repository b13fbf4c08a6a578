import { DfoEmployees } from "../src/index.js"
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { DfoLookup, SapFetchError, SapUpdateError } from "@dfo-writeback/domain"
import { assert, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Fiber, Option } from "effect"
import {
  client,
  EMPLOYEES,
  emulatorLayer,
  failureOf,
  foundEmployee,
  KEY,
  READ_ONLY_KEY,
  received,
  requestsTo,
  setup,
  waitFor
} from "./utils.js"

const seeded = (index: number) => EMPLOYEES[index] as Record<string, unknown>
const text = (index: number, field: string) => seeded(index)[field] as string

// Live clock: retries, rate limits and timeouts run in real time against a real server.
// Exact waits are asserted under the TestClock in DfoEmployees.waits.test.ts.
layer(emulatorLayer, { excludeTestServices: true })("DfoEmployees against the emulator", (it) => {
  // --- get ---------------------------------------------------------------------------------

  it.effect(
    "get finds the employee: null/blank fields absent, unknown fields dropped, brukerident's key recorded",
    () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        assert.deepStrictEqual(foundEmployee(yield* dfo.get("00100001")), {
          id: "00100001",
          eksternIdent: text(0, "eksternIdent"),
          epost: text(0, "epost"),
          brukerident: text(0, "brukerident"),
          hasBrukerident: true
        })
        // eksternIdent null, epost "", no brukerident key at all.
        assert.deepStrictEqual(foundEmployee(yield* dfo.get("00200001")), {
          id: "00200001",
          hasBrukerident: false
        })
        assert.deepStrictEqual(foundEmployee(yield* dfo.get("00200002")), {
          id: "00200002",
          eksternIdent: text(5, "eksternIdent"),
          brukerident: "keep01",
          hasBrukerident: true
        })
        // brukerident: null is a known-empty value, unlike an absent key.
        assert.deepStrictEqual(foundEmployee(yield* dfo.get("00200003")), {
          id: "00200003",
          eksternIdent: text(6, "eksternIdent"),
          epost: text(6, "epost"),
          hasBrukerident: true
        })
        assert.deepStrictEqual(
          received(emu).map((e) => `${e.method} ${e.path} ${e.status}`),
          ["GET /00100001 200", "GET /00200001 200", "GET /00200002 200", "GET /00200003 200"]
        )
      }).pipe(Effect.provide(client()))
  )

  it.effect("get: DfoLookup.NotFound only for DFØ's IKKE ANSATT 404, carrying its faultText", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      assert.deepStrictEqual(
        yield* dfo.get("00999999"),
        DfoLookup.NotFound({ faultText: "IKKE ANSATT 00999999" })
      )

      emu.script(
        { path: "/00100001", status: 404, faultText: "Ressursen finnes ikke" },
        { path: "/00100002", status: 404 }
      )
      const other = failureOf(yield* Effect.exit(dfo.get("00100001")))
      assert.instanceOf(other, SapFetchError)
      assert.strictEqual(other.status, 404)
      assert.strictEqual(other.faultText, "Ressursen finnes ikke")
      assert.strictEqual(other.attempts, 1)
      assert.isFalse(other.transient)
      assert.isFalse(other.keyRefused)
      assert.match(other.reason, /SAP_ANSATT_BASE_URL/)

      const bare = failureOf(yield* Effect.exit(dfo.get("00100002")))
      assert.strictEqual(bare.status, 404)
      assert.strictEqual(bare.faultText, undefined)

      assert.deepStrictEqual(received(emu), [
        { method: "GET", path: "/00999999", status: 404 },
        { method: "GET", path: "/00100001", status: 404 },
        { method: "GET", path: "/00100002", status: 404 }
      ])
    }).pipe(Effect.provide(client()))
  )

  it.effect("get: a 200 with an empty list means NotFound, and is not retried", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.script({ path: "/00100001", body: { ansatt: [] } })
      const lookup = yield* dfo.get("00100001")
      assert.strictEqual(lookup._tag, "NotFound")
      assert.deepStrictEqual(received(emu), [{ method: "GET", path: "/00100001", status: 200 }])
    }).pipe(Effect.provide(client()))
  )

  it.effect("endpoint names the collection without credentials, query or fragment", () =>
    Effect.gen(function* () {
      const emu = yield* DfoEmulator
      const withSecrets = `http://user:pw-8d2e@127.0.0.1:${emu.port}${emu.basePath}/?token=q-4f1a#x`
      const endpoint = yield* Effect.map(DfoEmployees.DfoEmployees, (dfo) => dfo.endpoint).pipe(
        Effect.provide(DfoEmployees.layer({ baseUrl: withSecrets, apiKey: KEY }))
      )
      assert.strictEqual(endpoint, `http://127.0.0.1:${emu.port}${emu.basePath}`)
    })
  )

  it.effect("a gateway 404 (wrong base path) is a failure, not a missing employee", () =>
    Effect.gen(function* () {
      const emu = yield* DfoEmulator
      emu.reset()
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
      assert.strictEqual(emu.stats().requests, 1)
    })
  )

  it.effect(
    "ids compare by numeric value; the URL carries the id as given (30202 vs 00030202)",
    () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        assert.strictEqual(foundEmployee(yield* dfo.get("30202")).id, "00030202")
        assert.strictEqual(foundEmployee(yield* dfo.get("100001")).id, "00100001")
        assert.strictEqual(foundEmployee(yield* dfo.get("0030202")).id, "00030202")

        // DFØ answering without leading zeros, or with a number, is the same employee.
        emu.script(
          { path: "/00100002", body: { ansatt: [{ id: "100002" }] } },
          { path: "/00100002", body: { ansatt: [{ id: 100002 }] } },
          { path: "/00100002", body: { ansatt: [{ id: "00100003" }] } },
          { path: "/00100002", body: { ansatt: [{ id: "00100002" }, { id: "00100002" }] } }
        )
        assert.strictEqual(foundEmployee(yield* dfo.get("00100002")).id, "100002")
        assert.strictEqual(foundEmployee(yield* dfo.get("00100002")).id, "100002")
        const another = failureOf(yield* Effect.exit(dfo.get("00100002")))
        assert.match(
          another.reason,
          /expected employee 00100002 alone, got 1 employee\(s\) starting with 00100003/
        )
        assert.isFalse(another.transient)
        const two = failureOf(yield* Effect.exit(dfo.get("00100002")))
        assert.match(two.reason, /got 2 employee\(s\)/)

        const written = yield* dfo.write("30202", { epost: "ny@uni.example.no" })
        assert.strictEqual(Option.getOrThrow(written).id, "00030202")
        assert.strictEqual(emu.employee("00030202")?.["epost"], "ny@uni.example.no")

        assert.deepStrictEqual(
          received(emu).map((e) => `${e.method} ${e.path}`),
          [
            "GET /30202",
            "GET /100001",
            "GET /0030202",
            "GET /00100002",
            "GET /00100002",
            "GET /00100002",
            "GET /00100002",
            "PUT /30202"
          ]
        )
      }).pipe(Effect.provide(client()))
  )

  it.effect("ids that are not 1–8 digits never reach a URL", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      const refused = ["", "123456789", "000100001", "12a", " 1", "1 ", "-1", "+1", "1.0", "1e3"]
      for (const id of [...refused, "../00100001", "1?x=1", "%31", "١٢٣"]) {
        const read = failureOf(yield* Effect.exit(dfo.get(id)))
        assert.strictEqual(read.code, "SAP_FETCH_FAILED")
        assert.strictEqual(read.attempts, 0)
        assert.strictEqual(read.sapId, id)
        assert.match(read.reason, /not 1–8 digits; nothing was sent/)
        const write = failureOf(yield* Effect.exit(dfo.write(id, { epost: "a@b.no" })))
        assert.strictEqual(write.code, "SAP_UPDATE_FAILED")
        assert.strictEqual(write.attempts, 0)
      }
      assert.strictEqual(emu.stats().requests, 0)
      // The bounds themselves are sent: one digit and eight.
      assert.strictEqual((yield* dfo.get("1"))._tag, "NotFound")
      assert.strictEqual((yield* dfo.get("00100001"))._tag, "Found")
      assert.deepStrictEqual(
        received(emu).map((e) => e.path),
        ["/1", "/00100001"]
      )
    }).pipe(Effect.provide(client()))
  )

  // --- list --------------------------------------------------------------------------------

  it.effect("list answers every employee, with one GET {base}", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      const all = yield* dfo.list()
      assert.strictEqual(all.size, EMPLOYEES.length)
      for (const { id } of EMPLOYEES) assert.strictEqual(all.get(id)?.id, id.padStart(8, "0"))
      assert.deepStrictEqual(all.get("200001"), { id: "00200001", hasBrukerident: false })
      assert.deepStrictEqual(received(emu), [{ method: "GET", path: "", status: 200 }])
    }).pipe(Effect.provide(client()))
  )

  it.effect(
    "every call asks the gateway to bypass its cache: a cached copy never answers a read",
    () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        const headers: Array<string | Array<string> | undefined> = []
        emu.setHooks({
          onRequest: (request) => void headers.push(request.headers["x-gravitee-cache"])
        })
        emu.setFaults({ gatewayCache: true })
        // Someone else's read without the header fills the gateway's cache...
        const one = `${emu.baseUrl}/00100001`
        const init = { headers: { "x-gravitee-api-key": KEY } }
        yield* Effect.promise(() => fetch(one, init).then((r) => r.text()))
        yield* Effect.promise(() => fetch(emu.baseUrl, init).then((r) => r.text()))
        emu.updateEmployee("00100001", { epost: "ny@uni.example.no", brukerident: null })

        // ...yet the client sees DFØ as it is now, one by one, in the list and after a write.
        const read = foundEmployee(yield* dfo.get("00100001"))
        assert.strictEqual(read.epost, "ny@uni.example.no")
        assert.isUndefined(read.brukerident)
        assert.strictEqual((yield* dfo.list()).get("100001")?.epost, "ny@uni.example.no")
        yield* dfo.write("00100001", { brukerident: "100001" })
        assert.strictEqual(foundEmployee(yield* dfo.get("00100001")).brukerident, "100001")
        yield* dfo.probe()
        assert.deepStrictEqual(headers, [
          undefined,
          undefined,
          "BY_PASS",
          "BY_PASS",
          "BY_PASS",
          "BY_PASS",
          "BY_PASS"
        ])
      }).pipe(Effect.provide(client()))
  )

  it.effect("ansatt as one object (DFØ's older form) is read by get, list and write", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.setFaults({ ansattAsObject: true })
      assert.strictEqual(foundEmployee(yield* dfo.get("00100003")).id, "00100003")
      const written = Option.getOrThrow(yield* dfo.write("00100003", { epost: "o@uni.example.no" }))
      assert.strictEqual(written.epost, "o@uni.example.no")

      emu.script({ path: "", body: { ansatt: makeEmployee({ id: "00100004" }) } })
      const all = yield* dfo.list()
      assert.strictEqual(all.size, 1)
      assert.strictEqual(all.get("100004")?.id, "00100004")
      assert.deepStrictEqual(received(emu), [
        { method: "GET", path: "/00100003", status: 200 },
        { method: "PUT", path: "/00100003", status: 200, body: { epost: "o@uni.example.no" } },
        { method: "GET", path: "", status: 200 }
      ])
    }).pipe(Effect.provide(client()))
  )

  // --- write -------------------------------------------------------------------------------

  it.effect("write PUTs only the given fields as JSON and answers DFØ's employee", () =>
    Effect.gen(function* () {
      const { emu, dfo, counted } = yield* setup
      const after = yield* dfo.write("00100002", { epost: "ny@uni.example.no" })
      assert.deepStrictEqual(
        after,
        Option.some({
          id: "00100002",
          eksternIdent: text(1, "eksternIdent"),
          epost: "ny@uni.example.no",
          brukerident: text(1, "brukerident"),
          hasBrukerident: true
        })
      )
      assert.strictEqual(emu.employee("00100002")?.["epost"], "ny@uni.example.no")

      yield* dfo.write("00100002", {
        eksternIdent: "feide@uni.example.no",
        epost: undefined,
        brukerident: "nyb01"
      })
      // Nothing to write: nothing sent.
      assert.deepStrictEqual(yield* dfo.write("00100002", {}), Option.none())

      assert.deepStrictEqual(received(emu), [
        { method: "PUT", path: "/00100002", status: 200, body: { epost: "ny@uni.example.no" } },
        {
          method: "PUT",
          path: "/00100002",
          status: 200,
          body: { eksternIdent: "feide@uni.example.no", brukerident: "nyb01" }
        }
      ])
      assert.deepStrictEqual((yield* counted).requests, { GET: 0, PUT: 2, PATCH: 0 })
    }).pipe(Effect.provide(client()))
  )

  it.effect("write answers None for a 204 or an empty 200", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.setFaults({ writeStatus: 204 })
      assert.deepStrictEqual(
        yield* dfo.write("00100001", { epost: "a@uni.example.no" }),
        Option.none()
      )
      emu.setFaults({ writeStatus: 200 })
      emu.script({ method: "PUT", path: "/00100001", body: "" })
      assert.deepStrictEqual(
        yield* dfo.write("00100001", { epost: "b@uni.example.no" }),
        Option.none()
      )
      assert.deepStrictEqual(
        received(emu).map((e) => `${e.method} ${e.status}`),
        ["PUT 204", "PUT 200"]
      )
      assert.strictEqual(emu.employee("00100001")?.["epost"], "a@uni.example.no")
    }).pipe(Effect.provide(client()))
  )

  it.effect(
    "write answers the employee as DFØ keeps it: a set brukerident is not changed (write-once)",
    () =>
      Effect.gen(function* () {
        const { emu, dfo } = yield* setup
        const kept = Option.getOrThrow(
          yield* dfo.write("00200002", {
            eksternIdent: "feide@uni.example.no",
            brukerident: "nyb01"
          })
        )
        assert.strictEqual(kept.brukerident, "keep01")
        assert.strictEqual(kept.eksternIdent, "feide@uni.example.no")

        // A known-empty (null) brukerident is written.
        const set = Option.getOrThrow(yield* dfo.write("00200003", { brukerident: "200003" }))
        assert.strictEqual(set.brukerident, "200003")

        assert.deepStrictEqual(received(emu), [
          {
            method: "PUT",
            path: "/00200002",
            status: 200,
            body: { eksternIdent: "feide@uni.example.no", brukerident: "nyb01" }
          },
          { method: "PUT", path: "/00200003", status: 200, body: { brukerident: "200003" } }
        ])
      }).pipe(Effect.provide(client()))
  )

  it.effect("a write answered with another employee, or with no employee shape, is a failure", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.script(
        { method: "PUT", path: "/00100001", body: makeEmployee({ id: "00100001" }) },
        { method: "PUT", path: "/00100001", body: { ansatt: [{ id: "00100003" }] } },
        { method: "PUT", path: "/00100001", body: { ansatt: [{ id: "1" }, { id: "2" }] } },
        { method: "PUT", path: "/00100001", body: { status: "ok" } }
      )
      // DFØ answering with the bare employee object is accepted.
      const bare = yield* dfo.write("00100001", { epost: "a@uni.example.no" })
      assert.strictEqual(Option.getOrThrow(bare).id, "00100001")

      const other = failureOf(
        yield* Effect.exit(dfo.write("00100001", { epost: "b@uni.example.no" }))
      )
      assert.instanceOf(other, SapUpdateError)
      assert.strictEqual(other.status, 200)
      assert.match(other.reason, /accepted the write, but answered with employee 00100003/)
      assert.isFalse(other.transient)
      const two = failureOf(
        yield* Effect.exit(dfo.write("00100001", { epost: "c@uni.example.no" }))
      )
      assert.match(two.reason, /answered with employee 1 and 1 more/)
      const shapeless = failureOf(
        yield* Effect.exit(dfo.write("00100001", { epost: "d@uni.example.no" }))
      )
      assert.match(shapeless.reason, /its answer is not an employee/)
      // One PUT each: a write is never repeated by the client.
      assert.strictEqual(requestsTo(emu, "PUT", "/00100001").length, 4)
    }).pipe(Effect.provide(client()))
  )

  it.effect(
    "a write is tried once: 503, 502, 504, 429 and a dropped connection are transient errors, not retries",
    () =>
      Effect.gen(function* () {
        const { emu, dfo, counted } = yield* setup
        emu.script(
          { method: "PUT", path: "/00100001", status: 503, headers: { "Retry-After": "2" } },
          { method: "PUT", path: "/00100002", status: 502 },
          { method: "PUT", path: "/00100003", status: 504 },
          { method: "PUT", path: "/00100004", status: 429 },
          { method: "PUT", path: "/00200001", reset: true }
        )
        const errors: Array<SapUpdateError> = []
        for (const id of ["00100001", "00100002", "00100003", "00100004", "00200001"]) {
          errors.push(failureOf(yield* Effect.exit(dfo.write(id, { epost: "x@uni.example.no" }))))
        }
        for (const error of errors) {
          assert.instanceOf(error, SapUpdateError)
          assert.isTrue(error.transient)
          assert.isFalse(error.keyRefused)
          assert.strictEqual(error.attempts, 1)
        }
        assert.deepStrictEqual(
          errors.map((e) => e.status),
          [503, 502, 504, 429, undefined]
        )
        assert.strictEqual(errors[0]?.retryAfterMs, 2_000)
        assert.strictEqual(errors[1]?.retryAfterMs, undefined)
        const body = { epost: "x@uni.example.no" }
        assert.deepStrictEqual(received(emu), [
          { method: "PUT", path: "/00100001", status: 503, body },
          { method: "PUT", path: "/00100002", status: 502, body },
          { method: "PUT", path: "/00100003", status: 504, body },
          { method: "PUT", path: "/00100004", status: 429, body },
          { method: "PUT", path: "/00200001", status: undefined, body }
        ])
        assert.isTrue(emu.log()[4]?.reset)
        const stats = yield* counted
        assert.strictEqual(stats.requests.PUT, 5)
        assert.strictEqual(stats.retries, 0)
        assert.strictEqual(stats.failures, 5)
        assert.strictEqual(stats.rateLimited, 1)
        assert.strictEqual(emu.employee("00100001")?.["epost"], text(0, "epost"))
      }).pipe(Effect.provide(client()))
  )

  it.effect("a stalled write times out once, transient, and is not sent again", () =>
    Effect.gen(function* () {
      const { emu, dfo, counted } = yield* setup
      emu.script({ method: "PUT", path: "/00100001", stall: true })
      const error = failureOf(
        yield* Effect.exit(dfo.write("00100001", { epost: "s@uni.example.no" }))
      )
      assert.isTrue(error.transient)
      assert.strictEqual(error.attempts, 1)
      assert.strictEqual(error.status, undefined)
      assert.match(error.reason, /within 300 ms/)
      yield* waitFor(() => emu.log()[0]?.aborted === true)
      assert.deepStrictEqual(
        received(emu).map((e) => e.method),
        ["PUT"]
      )
      assert.strictEqual((yield* counted).timeouts, 1)
    }).pipe(Effect.provide(client({ timeoutMs: 300 })))
  )

  it.effect("a caller retries a write with retrySchedule: transient only, same body", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.script({ method: "PUT", path: "/00100001", status: 503 })
      const retried = dfo
        .write("00100001", { epost: "r@uni.example.no" })
        .pipe(Effect.retry(dfo.retrySchedule))
      assert.strictEqual(Option.getOrThrow(yield* retried).epost, "r@uni.example.no")

      emu.script({ method: "PUT", path: "/00100002", status: 400, faultText: "Feil i feltet" })
      const rejected = failureOf(
        yield* Effect.exit(
          dfo.write("00100002", { epost: "r@uni.example.no" }).pipe(Effect.retry(dfo.retrySchedule))
        )
      )
      assert.strictEqual(rejected.status, 400)
      assert.deepStrictEqual(received(emu), [
        { method: "PUT", path: "/00100001", status: 503, body: { epost: "r@uni.example.no" } },
        { method: "PUT", path: "/00100001", status: 200, body: { epost: "r@uni.example.no" } },
        { method: "PUT", path: "/00100002", status: 400, body: { epost: "r@uni.example.no" } }
      ])
    }).pipe(Effect.provide(client()))
  )

  it.effect("400 and 422 carry DFØ's faultText (field limits name the field), not retried", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      const attempts = [
        [{ brukerident: "123456789" }, 400, "Feltet brukerident kan ha maks 8 tegn"],
        [
          { eksternIdent: `${"e".repeat(230)}@uni.example.no` },
          400,
          "Feltet eksternIdent kan ha maks 241 tegn"
        ],
        [{ epost: `${"p".repeat(230)}@uni.example.no` }, 400, "Feltet epost kan ha maks 241 tegn"],
        [{ epost: "a\u0007@uni.example.no" }, 400, "Feltet epost har et ugyldig tegn"],
        [{ epost: "ikke-epost" }, 422, "Ugyldig e-postadresse: ikke-epost"]
      ] as const
      for (const [fields, status, faultText] of attempts) {
        const error = failureOf(yield* Effect.exit(dfo.write("00100001", fields)))
        assert.strictEqual(error.code, "SAP_UPDATE_FAILED")
        assert.strictEqual(error.status, status)
        assert.strictEqual(error.faultText, faultText)
        assert.strictEqual(error.sapId, "00100001")
        assert.strictEqual(error.attempts, 1)
        assert.isFalse(error.transient)
        assert.isFalse(error.keyRefused)
        assert.include(error.message, faultText)
      }
      assert.deepStrictEqual(
        received(emu).map((e) => [e.method, e.status, e.body]),
        attempts.map(([fields, status]) => ["PUT", status, fields])
      )
      assert.deepStrictEqual(emu.employee("00100001"), EMPLOYEES[0])
    }).pipe(Effect.provide(client()))
  )

  it.effect("a write to an employee DFØ does not hold fails with IKKE ANSATT, not a URL hint", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      const error = failureOf(
        yield* Effect.exit(dfo.write("00999999", { epost: "a@uni.example.no" }))
      )
      assert.strictEqual(error.status, 404)
      assert.strictEqual(error.faultText, "IKKE ANSATT 00999999")
      assert.match(error.reason, /DFØ holds no such employee/)
      assert.notMatch(error.reason, /SAP_ANSATT_BASE_URL/)
      assert.strictEqual(requestsTo(emu, "PUT", "/00999999").length, 1)
    }).pipe(Effect.provide(client()))
  )

  // --- refused keys ------------------------------------------------------------------------

  it.effect("a wrong API key: 401 on every call, keyRefused, no retries, no key in errors", () =>
    Effect.gen(function* () {
      const emu = yield* DfoEmulator
      emu.reset()
      const wrongKey = "wrong-secret-9c1d"
      const [read, list, write] = yield* Effect.flatMap(DfoEmployees.DfoEmployees, (dfo) =>
        Effect.all([
          Effect.exit(dfo.get("00100001")),
          Effect.exit(dfo.list()),
          Effect.exit(dfo.write("00100001", { epost: "x@uni.example.no" }))
        ])
      ).pipe(Effect.provide(client({ apiKey: wrongKey })))
      const errors = [failureOf(read), failureOf(list), failureOf(write)]
      assert.instanceOf(errors[0], SapFetchError)
      assert.instanceOf(errors[1], SapFetchError)
      assert.instanceOf(errors[2], SapUpdateError)
      for (const error of errors) {
        assert.strictEqual(error.status, 401)
        assert.strictEqual(error.attempts, 1)
        assert.isTrue(error.keyRefused)
        assert.isFalse(error.transient)
        assert.match(error.reason, /SAP_API_KEY/)
        for (const text of [String(error), error.message, JSON.stringify(error)]) {
          assert.notInclude(text, wrongKey)
          assert.notInclude(text, KEY)
        }
      }
      assert.deepStrictEqual(
        received(emu).map((e) => `${e.method} ${e.path} ${e.status}`),
        ["GET /00100001 401", "GET  401", "PUT /00100001 401"]
      )
    })
  )

  it.effect("403 from the gateway is a refused key too, and is not retried", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.script({ status: 403, body: { message: "Forbidden" }, times: 2 })
      const read = failureOf(yield* Effect.exit(dfo.get("00100001")))
      const write = failureOf(
        yield* Effect.exit(dfo.write("00100001", { epost: "f@uni.example.no" }))
      )
      for (const error of [read, write]) {
        assert.strictEqual(error.status, 403)
        assert.isTrue(error.keyRefused)
        assert.match(error.reason, /SAP_API_KEY.*the gateway said: Forbidden/)
      }
      assert.deepStrictEqual(
        received(emu).map((e) => `${e.method} ${e.status}`),
        ["GET 403", "PUT 403"]
      )
    }).pipe(Effect.provide(client()))
  )

  it.effect("a read-only key reads, and its PUT gets 405: keyRefused, naming the plan", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      assert.strictEqual(foundEmployee(yield* dfo.get("00100001")).id, "00100001")
      assert.strictEqual((yield* dfo.list()).size, EMPLOYEES.length)
      const error = failureOf(
        yield* Effect.exit(dfo.write("00100001", { epost: "ro@uni.example.no" }))
      )
      assert.instanceOf(error, SapUpdateError)
      assert.strictEqual(error.status, 405)
      assert.strictEqual(error.attempts, 1)
      assert.isTrue(error.keyRefused)
      assert.isFalse(error.transient)
      assert.match(error.reason, /plan does not allow this method/)
      assert.match(error.reason, /SAP_UPDATE_METHOD/)
      assert.notInclude(error.message, READ_ONLY_KEY)
      assert.deepStrictEqual(received(emu), [
        { method: "GET", path: "/00100001", status: 200 },
        { method: "GET", path: "", status: 200 },
        { method: "PUT", path: "/00100001", status: 405, body: { epost: "ro@uni.example.no" } }
      ])
      assert.deepStrictEqual(emu.employee("00100001"), EMPLOYEES[0])
    }).pipe(Effect.provide(client({ apiKey: READ_ONLY_KEY })))
  )

  it.effect("updateMethod PATCH sends PATCH: 405 from DFØ's gateway, accepted elsewhere", () =>
    Effect.gen(function* () {
      const { emu, dfo, counted } = yield* setup
      const refused = failureOf(
        yield* Effect.exit(dfo.write("00100001", { epost: "p@uni.example.no" }))
      )
      assert.strictEqual(refused.status, 405)
      assert.isTrue(refused.keyRefused)
      assert.match(refused.reason, /SAP_UPDATE_METHOD/)

      emu.setFaults({ acceptPatch: true })
      const after = yield* dfo.write("00100001", { epost: "p@uni.example.no" })
      assert.strictEqual(Option.getOrThrow(after).epost, "p@uni.example.no")
      assert.deepStrictEqual(received(emu), [
        { method: "PATCH", path: "/00100001", status: 405, body: { epost: "p@uni.example.no" } },
        { method: "PATCH", path: "/00100001", status: 200, body: { epost: "p@uni.example.no" } }
      ])
      assert.deepStrictEqual((yield* counted).requests, { GET: 0, PUT: 0, PATCH: 2 })
    }).pipe(Effect.provide(client({ updateMethod: "PATCH" })))
  )

  // --- transient answers of reads ----------------------------------------------------------

  it.effect("503 twice, then success: three GETs", () =>
    Effect.gen(function* () {
      const { emu, dfo, counted } = yield* setup
      emu.script({ method: "GET", path: "/00100001", times: 2, status: 503 })
      assert.strictEqual((yield* dfo.get("00100001"))._tag, "Found")
      assert.deepStrictEqual(
        requestsTo(emu, "GET", "/00100001").map((e) => e.status),
        [503, 503, 200]
      )
      const stats = yield* counted
      assert.deepStrictEqual(stats.requests, { GET: 3, PUT: 0, PATCH: 0 })
      assert.strictEqual(stats.retries, 2)
      assert.strictEqual(stats.failures, 0)
    }).pipe(Effect.provide(client()))
  )

  it.effect("a read survives a dropped connection, 502 and 504", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.script(
        { method: "GET", path: "/00100004", reset: true },
        { method: "GET", path: "/00100004", status: 502 },
        { method: "GET", path: "/00100004", status: 504 }
      )
      assert.strictEqual(foundEmployee(yield* dfo.get("00100004")).id, "00100004")
      assert.deepStrictEqual(
        requestsTo(emu, "GET", "/00100004").map((e) => e.status),
        [undefined, 502, 504, 200]
      )
    }).pipe(Effect.provide(client()))
  )

  it.effect("429 without Retry-After is retried with backoff; X-Rate-Limit-Reset too", () =>
    Effect.gen(function* () {
      const { emu, dfo, counted } = yield* setup
      emu.script({ method: "GET", path: "", status: 429, times: 2 })
      assert.strictEqual((yield* dfo.list()).size, EMPLOYEES.length)
      emu.script({
        method: "GET",
        path: "/00100001",
        status: 429,
        headers: { "X-Rate-Limit-Reset": String(Date.now() + 50) }
      })
      assert.strictEqual((yield* dfo.get("00100001"))._tag, "Found")
      assert.deepStrictEqual(
        received(emu).map((e) => `${e.method} ${e.path} ${e.status}`),
        ["GET  429", "GET  429", "GET  200", "GET /00100001 429", "GET /00100001 200"]
      )
      const stats = yield* counted
      assert.strictEqual(stats.rateLimited, 3)
      assert.strictEqual(stats.retries, 3)
    }).pipe(Effect.provide(client()))
  )

  it.effect("retries exhausted: the error says how many attempts were made", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.setFaults({ errorRate: 1 })
      const error = failureOf(yield* Effect.exit(dfo.list()))
      assert.strictEqual(error.status, 503)
      assert.strictEqual(error.attempts, 3)
      assert.isTrue(error.transient)
      assert.strictEqual(error.sapId, undefined)
      assert.match(error.message, /after 3 attempts/)
      assert.strictEqual(emu.stats().requests, 3)
    }).pipe(Effect.provide(client({ maxRetries: 2 })))
  )

  it.effect("a stalled answer times out, and the request is aborted", () =>
    Effect.gen(function* () {
      const { emu, dfo, counted } = yield* setup
      emu.script({ path: "/00100001", stall: true, times: 2 })
      const error = failureOf(yield* Effect.exit(dfo.get("00100001")))
      assert.strictEqual(error.attempts, 2)
      assert.strictEqual(error.status, undefined)
      assert.isTrue(error.transient)
      assert.match(error.reason, /within 300 ms/)
      yield* waitFor(() => emu.log().filter((e) => e.aborted).length === 2)
      assert.strictEqual((yield* counted).timeouts, 2)
    }).pipe(Effect.provide(client({ timeoutMs: 300, maxRetries: 1 })))
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

  // --- answers that are not usable ---------------------------------------------------------

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

  it.effect("bodies over the limits are refused, with or without Content-Length", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      const big = JSON.stringify({
        ansatt: [{ id: "00100001", notat: "x".repeat(1024 * 1024) }]
      })
      emu.script(
        { path: "/00100001", body: big },
        { path: "/00100001", body: big, chunked: true },
        { method: "PUT", path: "/00100001", body: big }
      )
      for (let i = 0; i < 2; i++) {
        const error = failureOf(yield* Effect.exit(dfo.get("00100001")))
        assert.match(error.reason, /larger than 1048576 bytes/)
      }
      const write = failureOf(
        yield* Effect.exit(dfo.write("00100001", { epost: "b@uni.example.no" }))
      )
      assert.match(write.reason, /larger than 1048576 bytes/)
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
      assert.strictEqual((yield* dfo.get("00100001"))._tag, "Found")
    }).pipe(Effect.provide(client()))
  )

  // --- configuration -----------------------------------------------------------------------

  it.effect("layerConfig reads CONTRACT §6's variables, SAP_UPDATE_METHOD included", () =>
    Effect.gen(function* () {
      const emu = yield* DfoEmulator
      emu.reset()
      const settings = (extra: ReadonlyArray<[string, string]>) =>
        ConfigProvider.fromMap(
          new Map([
            ["SAP_ANSATT_BASE_URL", emu.baseUrl],
            ["SAP_API_KEY", KEY],
            ["SAP_MAX_RPS", "100"],
            ["SAP_MAX_RETRIES", "0"],
            ...extra
          ])
        )
      const roundTrip = Effect.flatMap(DfoEmployees.DfoEmployees, (dfo) =>
        Effect.zip(dfo.get("00100003"), dfo.write("00100003", { epost: "c@uni.example.no" }))
      ).pipe(Effect.provide(DfoEmployees.layerConfig))

      const [found] = yield* roundTrip.pipe(Effect.withConfigProvider(settings([])))
      assert.strictEqual(found._tag, "Found")
      emu.setFaults({ acceptPatch: true })
      yield* roundTrip.pipe(Effect.withConfigProvider(settings([["SAP_UPDATE_METHOD", "PATCH"]])))
      assert.deepStrictEqual(
        received(emu).map((e) => `${e.method} ${e.status}`),
        ["GET 200", "PUT 200", "GET 200", "PATCH 200"]
      )

      const broken = ConfigProvider.fromMap(
        new Map([
          ["SAP_ANSATT_BASE_URL", "ftp://nope"],
          ["SAP_MAX_RPS", "0"],
          ["SAP_API_KEY", "top-secret-value"],
          ["SAP_UPDATE_METHOD", "POST"]
        ])
      )
      const exit = yield* Effect.exit(
        DfoEmployees.DfoEmployees.pipe(
          Effect.provide(DfoEmployees.layerConfig),
          Effect.withConfigProvider(broken)
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      const text = String(Exit.isFailure(exit) ? exit.cause : "")
      assert.include(text, "SAP_ANSATT_BASE_URL must be an http(s) URL")
      assert.include(text, "SAP_MAX_RPS must be greater than 0")
      assert.include(text, "SAP_UPDATE_METHOD")
      assert.notInclude(text, "top-secret-value")
    })
  )
})
