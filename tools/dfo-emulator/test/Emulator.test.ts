import { afterAll, assert, beforeAll, beforeEach, describe, it } from "@effect/vitest"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Schedule, Scope } from "effect"
import {
  DfoEmulator,
  type Emulator,
  makeEmployee,
  makeEmployees,
  type ResponseInfo,
  startEmulator
} from "../src/index.js"

const KEY = "test-key"

interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: unknown
}

const call = async (
  url: string,
  init: {
    method?: string
    key?: string | null
    body?: string
    contentType?: string
    headers?: Record<string, string>
  } = {}
): Promise<Answer> => {
  const headers: Record<string, string> = { accept: "application/json", ...init.headers }
  if (init.key !== null) headers["x-gravitee-api-key"] = init.key ?? KEY
  if (init.body !== undefined) headers["content-type"] = init.contentType ?? "application/json"
  const response = await fetch(url, {
    method: init.method ?? "GET",
    headers,
    ...(init.body === undefined ? {} : { body: init.body })
  })
  const text = await response.text()
  let json: unknown
  try {
    json = text === "" ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

const put = (url: string, body: unknown, key?: string) =>
  call(url, {
    method: "PUT",
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(key === undefined ? {} : { key })
  })

/** Resolves once `condition` holds, checked on a schedule; fails after 5 s. */
const waitFor = (condition: () => boolean) =>
  Effect.runPromise(
    Effect.sync(condition).pipe(
      Effect.repeat({ schedule: Schedule.spaced("5 millis"), until: (holds) => holds }),
      Effect.timeoutFail({
        duration: "5 seconds",
        onTimeout: () => new Error("condition not met within 5 s")
      })
    )
  )

/** The next request the emulator is done with (answered, given up or reset). */
const nextClosed = (emu: Emulator) =>
  new Promise<ResponseInfo>((resolve) =>
    emu.setHooks({ afterResponse: (_request, response) => resolve(response) })
  )

const faultText = (answer: Answer): string | undefined =>
  (answer.json as { standard?: { faultText?: string } } | undefined)?.standard?.faultText

const ansatt = (answer: Answer) =>
  (answer.json as { ansatt: Array<Record<string, unknown>> }).ansatt

describe("the employee API", () => {
  let emu: Emulator
  beforeAll(async () => {
    emu = await startEmulator({
      apiKey: KEY,
      employees: [
        ...makeEmployees(5),
        makeEmployee({ id: "00200001", eksternIdent: null, epost: "", brukerident: null })
      ]
    })
  })
  afterAll(() => emu.stop())
  beforeEach(() => emu.reset())

  it("answers the list as {ansatt:[...]} with realistic employees", async () => {
    const answer = await call(emu.baseUrl)
    assert.strictEqual(answer.status, 200)
    assert.match(answer.headers.get("content-type") ?? "", /^application\/json/)
    const list = ansatt(answer)
    assert.strictEqual(list.length, 6)
    const first = list[0] as Record<string, unknown>
    for (const field of [
      "id",
      "fornavn",
      "etternavn",
      "brukerident",
      "dfoBrukerident",
      "eksternIdent",
      "epost",
      "tjenestested",
      "stillingskode",
      "stillingsprosent",
      "startdato",
      "sluttdato",
      "organisasjonId",
      "kostnadssted",
      "telefon",
      "mobilnr",
      "fodselsdato",
      "kjonn"
    ]) {
      assert.isTrue(field in first, `list entries have ${field}`)
    }
    assert.deepStrictEqual(list[5], emu.employee("00200001"))
    assert.strictEqual(list[5]?.["eksternIdent"], null)
    assert.strictEqual(list[5]?.["epost"], "")
  })

  it("answers one employee as a one-element list, and IKKE ANSATT for an unknown id", async () => {
    const one = await call(`${emu.baseUrl}/00100002`)
    assert.strictEqual(one.status, 200)
    assert.deepStrictEqual(ansatt(one), [emu.employee("00100002") as Record<string, unknown>])

    const none = await call(`${emu.baseUrl}/00999999`)
    assert.strictEqual(none.status, 404)
    assert.match(faultText(none) ?? "", /^IKKE ANSATT/)
  })

  it("answers a path outside the base like the gateway, without the IKKE ANSATT fault", async () => {
    for (const url of [`${emu.origin}/dfo/ansatte/v1/00100001`, `${emu.origin}/`]) {
      const answer = await call(url)
      assert.strictEqual(answer.status, 404)
      assert.strictEqual(faultText(answer), undefined)
      assert.strictEqual(
        (answer.json as { message: string }).message,
        "No context-path matches the request URI."
      )
    }
  })

  it("answers 401 to a missing or wrong API key", async () => {
    for (const key of [null, "wrong"]) {
      const list = await call(emu.baseUrl, { key })
      assert.strictEqual(list.status, 401)
      const write = await call(`${emu.baseUrl}/00100001`, {
        method: "PUT",
        key,
        body: JSON.stringify({ epost: "x@uni.example.no" })
      })
      assert.strictEqual(write.status, 401)
    }
    assert.notStrictEqual(emu.employee("00100001")?.["epost"], "x@uni.example.no")
  })

  it("PUT writes the given fields and answers 200 with the employee as a GET shows it", async () => {
    const before = ansatt(await call(emu.baseUrl))
    const answer = await put(`${emu.baseUrl}/00200001`, {
      epost: "ny.adresse@uni.example.no",
      brukerident: "200001"
    })
    assert.strictEqual(answer.status, 200)
    const after = emu.employee("00200001")
    assert.deepStrictEqual(answer.json, { ansatt: [after] })
    assert.deepStrictEqual(answer.json, (await call(`${emu.baseUrl}/00200001`)).json)
    assert.strictEqual(after?.["epost"], "ny.adresse@uni.example.no")
    assert.strictEqual(after?.["brukerident"], "200001")
    assert.strictEqual(after?.["eksternIdent"], null)
    assert.strictEqual(after?.["fornavn"], before[5]?.["fornavn"])
    const list = ansatt(await call(emu.baseUrl))
    assert.strictEqual(list[5]?.["epost"], "ny.adresse@uni.example.no")
  })

  it("PUT answers 204 without a body when writeStatus is 204", async () => {
    emu.setFaults({ writeStatus: 204 })
    const answer = await put(`${emu.baseUrl}/00100001`, { eksternIdent: "feide@uni.example.no" })
    assert.strictEqual(answer.status, 204)
    assert.strictEqual(answer.text, "")
    assert.strictEqual(emu.employee("00100001")?.["eksternIdent"], "feide@uni.example.no")
  })

  it("keeps a non-empty brukerident on PUT (DFØ's write-once) and still answers 200", async () => {
    const held = emu.employee("00100002")?.["brukerident"]
    assert.isString(held)
    const answer = await put(`${emu.baseUrl}/00100002`, {
      brukerident: "100002",
      epost: "kept@uni.example.no"
    })
    assert.strictEqual(answer.status, 200)
    assert.strictEqual(ansatt(answer)[0]?.["brukerident"], held)
    assert.strictEqual(ansatt(answer)[0]?.["epost"], "kept@uni.example.no")
    assert.strictEqual((await put(`${emu.baseUrl}/00100002`, { brukerident: null })).status, 200)
    assert.strictEqual(emu.employee("00100002")?.["brukerident"], held)
  })

  it("answers PATCH and any other method 405 like the gateway, writing nothing", async () => {
    const before = emu.employee("00100001")
    const patched = await call(`${emu.baseUrl}/00100001`, {
      method: "PATCH",
      body: JSON.stringify({ epost: "patched@uni.example.no" })
    })
    assert.strictEqual(patched.status, 405)
    assert.deepStrictEqual(patched.json, { message: "Method Not Allowed", http_status_code: 405 })
    for (const [method, url] of [
      ["DELETE", `${emu.baseUrl}/00100001`],
      ["POST", `${emu.baseUrl}/00100001`],
      ["POST", emu.baseUrl],
      ["PUT", emu.baseUrl]
    ] as const) {
      const answer = await call(url, {
        method,
        body: JSON.stringify({ epost: "x@uni.example.no" })
      })
      assert.strictEqual(answer.status, 405, `${method} ${url}`)
    }
    assert.deepStrictEqual(emu.employee("00100001"), before)
  })

  it("treats PATCH like PUT when started to accept it", async () => {
    const accepting = await startEmulator({
      apiKey: KEY,
      employees: makeEmployees(1),
      faults: { acceptPatch: true }
    })
    try {
      const answer = await call(`${accepting.baseUrl}/00100001`, {
        method: "PATCH",
        body: JSON.stringify({ epost: "patched@uni.example.no" })
      })
      assert.strictEqual(answer.status, 200)
      assert.strictEqual(ansatt(answer)[0]?.["epost"], "patched@uni.example.no")
    } finally {
      await accepting.stop()
    }
  })

  it("answers 405 to writes with a read-only key, 401 to an unknown one", async () => {
    const keyed = await startEmulator({
      employees: makeEmployees(1),
      apiKeys: [
        { key: "rw", plan: "read-write" },
        { key: "ro", plan: "read-only" }
      ]
    })
    try {
      assert.strictEqual(keyed.apiKey, "rw")
      assert.strictEqual((await call(`${keyed.baseUrl}/00100001`, { key: "ro" })).status, 200)
      assert.strictEqual((await call(keyed.baseUrl, { key: "ro" })).status, 200)
      const refused = await put(`${keyed.baseUrl}/00100001`, { epost: "ro@uni.example.no" }, "ro")
      assert.strictEqual(refused.status, 405)
      assert.strictEqual(refused.headers.get("allow"), "GET")
      assert.strictEqual(
        (await put(`${keyed.baseUrl}/00100001`, { epost: "ro@uni.example.no" }, "nope")).status,
        401
      )
      assert.notStrictEqual(keyed.employee("00100001")?.["epost"], "ro@uni.example.no")
      assert.strictEqual(
        (await put(`${keyed.baseUrl}/00100001`, { epost: "rw@uni.example.no" }, "rw")).status,
        200
      )
      keyed.setApiKeys([{ key: "rw", plan: "read-only" }])
      assert.strictEqual(
        (await put(`${keyed.baseUrl}/00100001`, { epost: "x@uni.example.no" }, "rw")).status,
        405
      )
      assert.strictEqual((await call(keyed.baseUrl, { key: "ro" })).status, 401)
      assert.deepStrictEqual(
        keyed.log().map((e) => [e.method, e.status]),
        [
          ["GET", 200],
          ["GET", 200],
          ["PUT", 405],
          ["PUT", 401],
          ["PUT", 200],
          ["PUT", 405],
          ["GET", 401]
        ]
      )
    } finally {
      await keyed.stop()
    }
  })

  it("stores ids with 8 digits and finds them with or without leading zeros", async () => {
    const unpadded = await startEmulator({
      apiKey: KEY,
      employees: [makeEmployee({ id: "30202", epost: null }), { id: "7" }, { id: "12AB34" }]
    })
    try {
      assert.deepStrictEqual(
        unpadded.employees().map((e) => e.id),
        ["00030202", "00000007", "12AB34"]
      )
      for (const path of ["/30202", "/00030202", "/030202"]) {
        const answer = await call(`${unpadded.baseUrl}${path}`)
        assert.strictEqual(answer.status, 200, path)
        assert.strictEqual(ansatt(answer)[0]?.["id"], "00030202")
      }
      const written = await put(`${unpadded.baseUrl}/30202`, { epost: "p@uni.example.no" })
      assert.strictEqual(written.status, 200)
      assert.strictEqual(ansatt(written)[0]?.["id"], "00030202")
      assert.strictEqual(unpadded.employee("30202")?.["epost"], "p@uni.example.no")
      assert.strictEqual(unpadded.employee("00030202")?.["epost"], "p@uni.example.no")
      const none = await call(`${unpadded.baseUrl}/30203`)
      assert.strictEqual(none.status, 404)
      assert.strictEqual(faultText(none), "IKKE ANSATT 30203")
      assert.strictEqual((await call(`${unpadded.baseUrl}/123456789`)).status, 404)
      const list = ansatt(await call(unpadded.baseUrl))
      assert.deepStrictEqual(
        list.map((e) => e["id"]),
        ["00030202", "00000007", "12AB34"]
      )
    } finally {
      await unpadded.stop()
    }
  })

  it("a gateway cache answers GETs from a stored copy unless X-Gravitee-Cache: BY_PASS", async () => {
    emu.setFaults({ gatewayCache: true })
    const one = `${emu.baseUrl}/00100001`
    const bypass = { headers: { "x-gravitee-cache": "BY_PASS" } }
    const before = ansatt(await call(one))[0]?.["epost"]
    const listed = (await call(emu.baseUrl)).text
    assert.strictEqual((await put(one, { epost: "ny@uni.example.no" })).status, 200)

    // Without the header: what DFØ held when it was cached, list and employee alike.
    assert.strictEqual(ansatt(await call(one))[0]?.["epost"], before)
    assert.strictEqual((await call(emu.baseUrl)).text, listed)
    // With it: DFØ as it is now; the bypass neither reads nor refreshes the stored copy.
    assert.strictEqual(ansatt(await call(one, bypass))[0]?.["epost"], "ny@uni.example.no")
    assert.strictEqual(ansatt(await call(one))[0]?.["epost"], before)
    // An unknown key is still refused before the cache: the key check comes first.
    assert.strictEqual((await call(one, { key: "other" })).status, 401)

    emu.setFaults({ gatewayCache: false })
    assert.strictEqual(ansatt(await call(one))[0]?.["epost"], "ny@uni.example.no")
    emu.setFaults({ gatewayCache: true })
    assert.strictEqual(ansatt(await call(one))[0]?.["epost"], "ny@uni.example.no")
  })

  it("answers one employee as {ansatt:{...}} when asked, the list still as a list", async () => {
    emu.setFaults({ ansattAsObject: true })
    const one = await call(`${emu.baseUrl}/00100001`)
    assert.deepStrictEqual(one.json, { ansatt: emu.employee("00100001") })
    const written = await put(`${emu.baseUrl}/00100001`, { epost: "o@uni.example.no" })
    assert.deepStrictEqual(written.json, { ansatt: emu.employee("00100001") })
    assert.isArray(ansatt(await call(emu.baseUrl)))
  })

  it("PUT refuses bad input with a faultText naming the field", async () => {
    const cases: Array<[body: unknown, status: number, fault: RegExp]> = [
      [{ epost: "not-an-address" }, 422, /e-postadresse/],
      [{ epost: "a@b" }, 422, /e-postadresse/],
      [{ brukerident: "123456789" }, 400, /brukerident kan ha maks 8 tegn/],
      [{ eksternIdent: `${"e".repeat(230)}@uni.example.no` }, 400, /eksternIdent kan ha maks 241/],
      [{ epost: `${"e".repeat(230)}@uni.example.no` }, 400, /epost kan ha maks 241 tegn/],
      [{ eksternIdent: "a\nb@uni.example.no" }, 400, /eksternIdent har et ugyldig tegn/],
      [{ epost: "a\u0000b@uni.example.no" }, 400, /epost har et ugyldig tegn/],
      [{ brukerident: "12\t34" }, 400, /brukerident har et ugyldig tegn/],
      [{ fornavn: "Per" }, 400, /Ukjent felt: fornavn/],
      [{ epost: 42 }, 400, /må være en tekst/],
      [{}, 400, /Ingen felt/],
      [["epost"], 400, /JSON-objekt/],
      ["{not json", 400, /Ugyldig JSON/]
    ]
    for (const [body, status, fault] of cases) {
      const answer = await put(`${emu.baseUrl}/00200001`, body)
      assert.strictEqual(answer.status, status, JSON.stringify(body))
      assert.match(faultText(answer) ?? "", fault)
    }
    const wrongType = await call(`${emu.baseUrl}/00100001`, {
      method: "PUT",
      body: "epost=a@b.no",
      contentType: "application/x-www-form-urlencoded"
    })
    assert.strictEqual(wrongType.status, 415)
    assert.isString(faultText(wrongType))

    const unknown = await put(`${emu.baseUrl}/00999999`, { epost: "a@uni.example.no" })
    assert.strictEqual(unknown.status, 404)
    assert.match(faultText(unknown) ?? "", /^IKKE ANSATT/)
    assert.deepStrictEqual(emu.employee("00100001"), makeEmployees(1)[0])
  })

  it("accepts values at DFØ's limits: 241 characters, a brukerident of 8", async () => {
    const long = `${"e".repeat(241 - "@uni.example.no".length)}@uni.example.no`
    const answer = await put(`${emu.baseUrl}/00200001`, {
      eksternIdent: long,
      epost: long,
      brukerident: "12345678"
    })
    assert.strictEqual(answer.status, 200)
    assert.strictEqual(emu.employee("00200001")?.["epost"], long)
    assert.strictEqual(emu.employee("00200001")?.["brukerident"], "12345678")
  })

  it("plays scripted answers for the next N matching requests, then behaves again", async () => {
    emu.script({ method: "GET", path: "/00100001", times: 2, status: 503 })
    emu.script({ method: "PUT", path: "/100002", status: 422, faultText: "Ugyldig verdi X" })
    assert.strictEqual(emu.pendingScripts(), 3)

    assert.strictEqual((await call(`${emu.baseUrl}/00100002`)).status, 200)
    assert.strictEqual((await call(`${emu.baseUrl}/00100001`)).status, 503)
    assert.strictEqual((await call(`${emu.baseUrl}/00100001`)).status, 503)
    assert.strictEqual((await call(`${emu.baseUrl}/00100001`)).status, 200)

    const rejected = await put(`${emu.baseUrl}/00100002`, { epost: "ok@uni.example.no" })
    assert.strictEqual(rejected.status, 422)
    assert.strictEqual(faultText(rejected), "Ugyldig verdi X")
    assert.notStrictEqual(emu.employee("00100002")?.["epost"], "ok@uni.example.no")
    assert.strictEqual(
      (await put(`${emu.baseUrl}/00100002`, { epost: "ok@uni.example.no" })).status,
      200
    )
    assert.strictEqual(emu.pendingScripts(), 0)
  })

  it("scripts raw bodies and headers (a malformed body, a Retry-After date)", async () => {
    emu.script(
      { path: "", body: '{"ansatt":[{"id":' },
      {
        path: "/00100001",
        status: 429,
        headers: { "Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT" }
      }
    )
    const malformed = await call(emu.baseUrl)
    assert.strictEqual(malformed.status, 200)
    assert.strictEqual(malformed.text, '{"ansatt":[{"id":')
    const limited = await call(`${emu.baseUrl}/00100001`)
    assert.strictEqual(limited.status, 429)
    assert.strictEqual(limited.headers.get("retry-after"), "Wed, 21 Oct 2015 07:28:00 GMT")
  })

  it("sends a scripted body in chunks without Content-Length when asked", async () => {
    const body = { ansatt: [{ id: "00100001", notat: "x".repeat(200_000) }] }
    emu.script({ path: "/00100001", body, chunked: true })
    const answer = await call(`${emu.baseUrl}/00100001`)
    assert.strictEqual(answer.headers.get("content-length"), null)
    assert.strictEqual(answer.headers.get("transfer-encoding"), "chunked")
    assert.deepStrictEqual(answer.json, body)
  })

  it("answers 429 with Retry-After in seconds over the rate limit", async () => {
    emu.setFaults({ rateLimit: { rps: 1, burst: 2 } })
    const statuses: Array<number> = []
    let retryAfter: string | null = null
    for (let i = 0; i < 4; i++) {
      const answer = await call(`${emu.baseUrl}/00100001`)
      statuses.push(answer.status)
      if (answer.status === 429) retryAfter = answer.headers.get("retry-after")
    }
    assert.deepStrictEqual(statuses.slice(0, 2), [200, 200])
    assert.strictEqual(statuses[2], 429)
    assert.strictEqual(retryAfter, "1")
    emu.setFaults({ rateLimit: null })
    assert.strictEqual((await call(`${emu.baseUrl}/00100001`)).status, 200)
  })

  it("answers a share of 429s with the configured Retry-After, without a bucket", async () => {
    emu.setFaults({ tooManyRate: 0.5, retryAfterSeconds: 0.05, seed: 7 })
    const answers: Array<Answer> = []
    for (let i = 0; i < 20; i++) answers.push(await call(`${emu.baseUrl}/00100001`))
    const limited = answers.filter((a) => a.status === 429)
    assert.isNotEmpty(limited)
    assert.isTrue(answers.some((a) => a.status === 200))
    assert.isTrue(limited.every((a) => a.headers.get("retry-after") === "0.05"))
    assert.strictEqual(emu.faults().rateLimit, null)
    assert.throws(() => emu.setFaults({ tooManyRate: 0.6, errorRate: 0.5 }), RangeError)
  })

  it("draws 503s from a seeded random source, the same for the same seed", async () => {
    const run = async () => {
      emu.setFaults({ errorRate: 0.5, seed: 42 })
      const statuses: Array<number> = []
      for (let i = 0; i < 20; i++) statuses.push((await call(`${emu.baseUrl}/00100001`)).status)
      return statuses
    }
    const first = await run()
    const second = await run()
    assert.deepStrictEqual(first, second)
    assert.isTrue(first.includes(503) && first.includes(200))
  })

  it("adds latency to every answer: nothing comes before it", async () => {
    emu.setFaults({ latencyMs: 60_000 })
    const closed = nextClosed(emu)
    const outcome = await fetch(`${emu.baseUrl}/00100001`, {
      headers: { "x-gravitee-api-key": KEY },
      signal: AbortSignal.timeout(200)
    }).then(
      () => "answered",
      () => "gave up"
    )
    assert.strictEqual(outcome, "gave up")
    assert.deepStrictEqual(await closed, { status: undefined, aborted: true })
    assert.isFalse(emu.log().at(-1)?.stalled)
    emu.setFaults({ latencyMs: 0 })
    assert.strictEqual((await call(`${emu.baseUrl}/00100001`)).status, 200)
  })

  it("keeps a stalled request open until the client gives up, and logs the abort", async () => {
    emu.script({ path: "/00100004", stall: true })
    const closed = nextClosed(emu)
    const outcome = await fetch(`${emu.baseUrl}/00100004`, {
      headers: { "x-gravitee-api-key": KEY },
      signal: AbortSignal.timeout(300)
    }).then(
      () => "answered",
      () => "gave up"
    )
    assert.strictEqual(outcome, "gave up")
    assert.deepStrictEqual(await closed, { status: undefined, aborted: true })
    const entry = emu.log().at(-1)
    assert.isTrue(entry?.stalled)
    assert.strictEqual(entry?.status, undefined)
    assert.strictEqual(emu.stats().inFlight, 0)
    assert.strictEqual((await call(`${emu.baseUrl}/00100004`)).status, 200)
  })

  it("resets connections when asked", async () => {
    emu.script({ path: "/00100004", reset: true })
    const outcome = await fetch(`${emu.baseUrl}/00100004`, {
      headers: { "x-gravitee-api-key": KEY }
    }).then(
      () => "answered",
      () => "reset"
    )
    assert.strictEqual(outcome, "reset")
    assert.strictEqual(emu.stats().resets, 1)
  })

  it("logs requests with PUT bodies and counts them by method", async () => {
    emu.resetLog()
    await call(emu.baseUrl)
    await call(`${emu.baseUrl}/00100001`)
    await put(`${emu.baseUrl}/100001`, { epost: "logged@uni.example.no" })
    const log = emu.log()
    assert.deepStrictEqual(
      log.map((e) => [e.method, e.path, e.status]),
      [
        ["GET", "/dfo/ansatte/v2", 200],
        ["GET", "/dfo/ansatte/v2/00100001", 200],
        ["PUT", "/dfo/ansatte/v2/100001", 200]
      ]
    )
    assert.deepStrictEqual(log[2]?.body, { epost: "logged@uni.example.no" })
    assert.isNumber(log[0]?.durationMs)
    const stats = emu.stats()
    assert.strictEqual(stats.requests, 3)
    assert.deepStrictEqual(stats.byMethod, { GET: 2, PUT: 1 })
    assert.deepStrictEqual(stats.byStatus, { "200": 3 })
    emu.resetLog()
    assert.strictEqual(emu.log().length, 0)
    assert.strictEqual(emu.stats().requests, 0)
  })

  it("changes an employee after a matching answer (mutateAfter), for race tests", async () => {
    emu.mutateAfter({ method: "GET", path: "", id: "100005", set: { brukerident: "raced01" } })
    const list = ansatt(await call(emu.baseUrl))
    assert.notStrictEqual(list[4]?.["brukerident"], "raced01")
    const one = ansatt(await call(`${emu.baseUrl}/00100005`))
    assert.strictEqual(one[0]?.["brukerident"], "raced01")
  })

  it("runs onRequest and afterResponse hooks; onRequest may answer instead", async () => {
    const seen: Array<string> = []
    emu.setHooks({
      onRequest: (request) =>
        request.path === "/00100003"
          ? { status: 502, body: { message: "Bad Gateway" } }
          : undefined,
      afterResponse: (request, response) => {
        seen.push(`${request.method} ${request.path} ${response.status}`)
      }
    })
    assert.strictEqual((await call(`${emu.baseUrl}/00100003`)).status, 502)
    assert.strictEqual((await call(`${emu.baseUrl}/00100001`)).status, 200)
    assert.deepStrictEqual(seen, ["GET /00100003 502", "GET /00100001 200"])
  })
})

describe("the admin endpoint", () => {
  let emu: Emulator
  beforeAll(async () => {
    emu = await startEmulator({ apiKey: KEY, employees: makeEmployees(3) })
  })
  afterAll(() => emu.stop())

  const admin = (path: string, method = "GET", body?: unknown) =>
    call(`${emu.adminUrl}${path}`, {
      method,
      key: null,
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })

  it("sets switches, scripts answers and mutates employees across processes", async () => {
    const faults = await admin("/faults", "POST", { errorRate: 1 })
    assert.strictEqual(faults.status, 200)
    assert.strictEqual((faults.json as { errorRate: number }).errorRate, 1)
    assert.strictEqual((await call(`${emu.baseUrl}/00100001`)).status, 503)
    await admin("/faults", "POST", { errorRate: 0, tooManyRate: 1, retryAfterSeconds: 0 })
    const limited = await call(`${emu.baseUrl}/00100001`)
    assert.strictEqual(limited.status, 429)
    assert.strictEqual(limited.headers.get("retry-after"), "0")
    await admin("/faults", "POST", { tooManyRate: 0 })

    assert.strictEqual(
      (await admin("/script", "POST", [{ method: "GET", path: "/00100002", status: 504 }])).status,
      204
    )
    assert.strictEqual((await call(`${emu.baseUrl}/00100002`)).status, 504)
    assert.strictEqual((await call(`${emu.baseUrl}/00100002`)).status, 200)

    const changed = await admin("/employees/00100002", "PATCH", { brukerident: "admin01" })
    assert.strictEqual(changed.status, 200)
    assert.strictEqual(ansatt(await call(`${emu.baseUrl}/00100002`))[0]?.["brukerident"], "admin01")

    assert.strictEqual(
      (await admin("/employees/00100009", "PUT", makeEmployee({ id: "00100009" }))).status,
      200
    )
    assert.strictEqual(ansatt(await admin("/employees")).length, 4)
    assert.strictEqual((await admin("/employees/00100009", "DELETE")).status, 204)
    assert.strictEqual((await call(`${emu.baseUrl}/00100009`)).status, 404)

    await admin("/mutate-after", "POST", {
      method: "GET",
      path: "",
      id: "00100001",
      set: { epost: "" }
    })
    await call(emu.baseUrl)
    assert.strictEqual(emu.employee("00100001")?.["epost"], "")
  })

  it("answers the log and stats, resets the log, and refuses bad input with 400", async () => {
    await admin("/reset-log", "POST")
    await call(`${emu.baseUrl}/00100001`)
    await call(`${emu.baseUrl}/00100001`, { key: "wrong" })
    const log = (await admin("/log")).json as { requests: Array<{ status: number }> }
    assert.deepStrictEqual(
      log.requests.map((e) => e.status),
      [200, 401]
    )
    const stats = (await admin("/stats")).json as { requests: number; byMethod: object }
    assert.strictEqual(stats.requests, 2)
    assert.deepStrictEqual(stats.byMethod, { GET: 2 })

    assert.strictEqual((await admin("/faults", "POST", { errorRate: 2 })).status, 400)
    assert.strictEqual((await admin("/employees", "PUT", { nope: true })).status, 400)
    assert.strictEqual((await admin("/nothing")).status, 404)
  })

  it("sets the API keys and their plans", async () => {
    const set = await admin("/keys", "PUT", {
      keys: [
        { key: KEY, plan: "read-only" },
        { key: "writer", plan: "read-write" }
      ]
    })
    assert.strictEqual(set.status, 200)
    assert.deepStrictEqual((await admin("/keys")).json, {
      keys: [
        { key: KEY, plan: "read-only" },
        { key: "writer", plan: "read-write" }
      ]
    })
    assert.strictEqual(
      (await put(`${emu.baseUrl}/00100001`, { epost: "k@uni.example.no" })).status,
      405
    )
    assert.strictEqual(
      (await put(`${emu.baseUrl}/00100001`, { epost: "k@uni.example.no" }, "writer")).status,
      200
    )
    assert.strictEqual(
      (await admin("/keys", "PUT", { keys: [{ key: "x", plan: "admin" }] })).status,
      400
    )
    await admin("/reset", "POST")
    assert.deepStrictEqual((await admin("/keys")).json, {
      keys: [{ key: KEY, plan: "read-write" }]
    })
  })
})

describe("seeding and stopping", () => {
  it("reads employees from a JSON file, as {ansatt:[...]} or as an array", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dfo-emulator-"))
    try {
      const wrapped = join(dir, "wrapped.json")
      const bare = join(dir, "bare.json")
      await writeFile(wrapped, JSON.stringify({ ansatt: [{ id: "1", fornavn: "A" }] }))
      await writeFile(bare, JSON.stringify([{ id: 2 }, { id: "3", epost: null }]))
      const a = await startEmulator({ dataFile: wrapped })
      const b = await startEmulator({ dataFile: bare, basePath: "/custom/base/" })
      try {
        assert.deepStrictEqual(a.employees(), [{ id: "00000001", fornavn: "A" }])
        assert.deepStrictEqual(b.employees(), [{ id: "00000002" }, { id: "00000003", epost: null }])
        assert.isTrue(b.baseUrl.endsWith("/custom/base"))
        const answer = await call(`${b.baseUrl}/3`, { key: b.apiKey })
        assert.deepStrictEqual(answer.json, { ansatt: [{ id: "00000003", epost: null }] })
      } finally {
        await Promise.all([a.stop(), b.stop()])
      }
      await writeFile(bare, JSON.stringify({ people: [] }))
      let error: unknown
      await startEmulator({ dataFile: bare }).catch((e: unknown) => (error = e))
      assert.match(String(error), /ansatt/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it("stop() closes keep-alive and stalled connections at once", async () => {
    const emu = await startEmulator({ apiKey: KEY, employees: makeEmployees(1) })
    await call(`${emu.baseUrl}/00100001`)
    emu.setFaults({ stallRate: 1 })
    const stalled = fetch(`${emu.baseUrl}/00100001`, { headers: { "x-gravitee-api-key": KEY } })
      .then(() => "answered")
      .catch(() => "closed")
    await waitFor(() => emu.stats().stalled === 1)
    await emu.stop()
    assert.strictEqual(await stalled, "closed")
  })

  it("holds 200 000 employees and answers one of them", async () => {
    const many = Array.from({ length: 200_000 }, (_, i) => ({ id: String(100_001 + i), epost: "" }))
    const emu = await startEmulator({ apiKey: KEY, employees: many })
    try {
      assert.strictEqual(emu.employees().length, 200_000)
      const answer = await call(`${emu.baseUrl}/300000`)
      assert.strictEqual(answer.status, 200)
      assert.deepStrictEqual(answer.json, { ansatt: [{ id: "00300000", epost: "" }] })
    } finally {
      await emu.stop()
    }
  })

  it("reads 200 000 employees from a data file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dfo-emulator-"))
    try {
      const file = join(dir, "many.json")
      await writeFile(
        file,
        JSON.stringify(Array.from({ length: 200_000 }, (_, i) => ({ id: String(i + 1) })))
      )
      const emu = await startEmulator({ apiKey: KEY, dataFile: file })
      try {
        assert.strictEqual(emu.employees().length, 200_000)
        const answer = await call(`${emu.baseUrl}/200000`)
        assert.deepStrictEqual(answer.json, { ansatt: [{ id: "00200000" }] })
      } finally {
        await emu.stop()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it("DfoEmulator.scoped stops the emulator when its scope closes", async () => {
    const scope = Effect.runSync(Scope.make())
    const emu = await Effect.runPromise(Scope.extend(DfoEmulator.scoped({ apiKey: KEY }), scope))
    assert.strictEqual((await call(`${emu.baseUrl}/1`)).status, 404)
    await Effect.runPromise(Scope.close(scope, Exit.void))
    const after = await fetch(`${emu.baseUrl}/1`).then(
      () => "answered",
      () => "refused"
    )
    assert.strictEqual(after, "refused")

    const taken = await Effect.runPromise(
      Effect.flip(Effect.scoped(DfoEmulator.scoped({ port: emu.port, dataFile: "/nonexistent" })))
    )
    assert.strictEqual(taken._tag, "EmulatorStartError")
    assert.match(taken.message, /nonexistent/)
  })

  it("makeEmployee is deterministic and lets explicit null, empty and undefined win", () => {
    assert.deepStrictEqual(makeEmployee({ id: "00100001" }), makeEmployee({ id: "00100001" }))
    assert.notDeepEqual(makeEmployee({ id: "00100001" }), makeEmployee({ id: "00100002" }))
    const e = makeEmployee({ id: "7", epost: null, eksternIdent: "", brukerident: undefined })
    assert.strictEqual(e["epost"], null)
    assert.strictEqual(e["eksternIdent"], "")
    assert.isFalse("brukerident" in e)
    assert.isString(e["fornavn"])
    const many = makeEmployees(1000, { missingShare: 0.1 })
    const idents = many.flatMap((x) =>
      typeof x["brukerident"] === "string" && x["brukerident"] !== "" ? [x["brukerident"]] : []
    )
    assert.isAtLeast(1000 - idents.length, 10)
    assert.strictEqual(new Set(idents).size, idents.length)
    assert.isTrue(idents.every((ident) => ident.length <= 10))
  })
})
