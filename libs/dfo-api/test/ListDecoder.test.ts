import { DfoEmployees } from "../src/index.js"
import { employeeOf } from "../src/internal/EmployeeCheck.js"
import { decodeEmployeeList } from "../src/internal/ListDecoder.js"
import { AttemptFailure } from "../src/internal/AttemptFailure.js"
import { DfoEmulator, makeEmployee, makeEmployees } from "@dfo-writeback/dfo-emulator"
import {
  DfoEmployee,
  DfoEmployeeList,
  type EmployeeIndex,
  indexEmployees
} from "@dfo-writeback/domain"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Either, Exit, FastCheck as fc, Layer, Option, Schema, Stream } from "effect"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { failureOf, KEY, waitFor } from "./utils.js"

const encoder = new TextEncoder()

/** The body as byte chunks cut at `cuts` (any byte offsets, also inside a UTF-8 sequence). */
const chunked = (body: string, cuts: ReadonlyArray<number> = []): Array<Uint8Array> => {
  const bytes = encoder.encode(body)
  const at = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Array<Uint8Array> = []
  let from = 0
  for (const to of [...at, bytes.length]) {
    chunks.push(bytes.subarray(from, to))
    from = to
  }
  return chunks
}

/** One chunk a pull, counting the pulls. */
const pulled = (chunks: ReadonlyArray<Uint8Array>) => {
  const counter = { pulls: 0 }
  const stream = Stream.unfold(0, (i) => {
    if (i >= chunks.length) return Option.none()
    counter.pulls = i + 1
    return Option.some([chunks[i] as Uint8Array, i + 1] as const)
  })
  return { stream, counter }
}

const decode = (body: string, cuts: ReadonlyArray<number> = [], maxBytes = 1 << 30) =>
  decodeEmployeeList(Stream.fromIterable(chunked(body, cuts)), { status: 200, maxBytes })

const refusal = (body: string, cuts: ReadonlyArray<number> = []) =>
  Effect.map(Effect.flip(decode(body, cuts)), (failure) => {
    assert.instanceOf(failure, AttemptFailure)
    assert.strictEqual(failure.status, 200)
    assert.isFalse(failure.transient)
    return failure.reason
  })

/** Today's decode: the whole body through JSON.parse and the domain's list schema. */
const reference = (body: string): Either.Either<EmployeeIndex, "malformed" | "unexpected"> => {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return Either.left("malformed")
  }
  return Either.mapBoth(
    Schema.decodeUnknownEither(DfoEmployeeList)(json, { onExcessProperty: "ignore" }),
    { onLeft: () => "unexpected" as const, onRight: ({ ansatt }) => indexEmployees(ansatt) }
  )
}

const assertSameIndex = (
  actual: EmployeeIndex,
  expected: EmployeeIndex,
  ids: ReadonlyArray<string>
) => {
  assert.strictEqual(actual.size, expected.size)
  assert.strictEqual(actual.ignored, expected.ignored)
  for (const id of ids) assert.deepStrictEqual(actual.get(id), expected.get(id))
}

// --- generated bodies ------------------------------------------------------------------------

const text = fc.oneof(
  fc.constantFrom("Åse Ødegård", "blåbær@uni.example.no", "  ", "", 'a"b\\c\n', "😀"),
  fc.string({ unit: "binary", maxLength: 12 })
)
const field = fc.oneof(text, fc.constant(null))
const wrongType = fc.oneof(fc.integer(), fc.boolean(), fc.constant({}), fc.constant([1]))
const anId = fc.oneof(
  fc.integer({ min: 1, max: 99_999_999 }).map((n) => String(n).padStart(8, "0")),
  fc.integer({ min: 1, max: 99_999_999 }),
  fc.integer({ min: 1, max: 999 }).map(String),
  fc.constantFrom("x12", "123456789", "")
)
const anEmployee = (bad: boolean) =>
  fc.record(
    {
      id: anId,
      eksternIdent: bad ? fc.oneof(field, wrongType) : field,
      epost: field,
      brukerident: field,
      fornavn: text,
      tilleggsstilling: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 2 })
    },
    { requiredKeys: ["id"] }
  )
const extras = fc.dictionary(
  fc.string({ maxLength: 6 }).filter((key) => key !== "ansatt"),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 2 }
)
const aBody = (bad: boolean) =>
  fc
    .record({
      before: extras,
      after: extras,
      ansatt: fc.oneof(
        { weight: 4, arbitrary: fc.array(anEmployee(bad), { maxLength: 8 }) },
        { weight: 1, arbitrary: anEmployee(bad) }
      ),
      indent: fc.constantFrom(0, 2, "\t")
    })
    .map(({ before, after, ansatt, indent }) => ({
      body: JSON.stringify({ ...before, ansatt, ...after }, null, indent),
      ids: (Array.isArray(ansatt) ? ansatt : [ansatt]).map((e) => String(e.id))
    }))
const cuts = fc.array(fc.nat(), { maxLength: 12 })

const agrees = (body: string, ids: ReadonlyArray<string>, at: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const expected = reference(body)
    const actual = yield* Effect.either(decode(body, at))
    if (Either.isRight(expected)) {
      assert.isTrue(Either.isRight(actual), Either.isLeft(actual) ? actual.left.reason : "")
      if (Either.isRight(actual)) assertSameIndex(actual.right, expected.right, ids)
      return
    }
    assert.isTrue(Either.isLeft(actual))
    if (Either.isRight(actual)) return
    // A bad element may be met before a syntax error further on; never the other way round.
    const kind = actual.left.reason.startsWith("malformed JSON in the answer: ")
      ? "malformed"
      : "unexpected"
    if (expected.left === "unexpected") assert.strictEqual(kind, "unexpected")
    assert.match(actual.left.reason, /^(malformed|unexpected) JSON in the answer: /)
  })

describe("decodeEmployeeList", () => {
  it.effect.prop(
    "agrees with JSON.parse + the schema, however the body is cut into chunks",
    [aBody(false), cuts],
    ([{ body, ids }, at]) => agrees(body, ids, at)
  )

  it.effect.prop(
    "agrees on bodies with wrongly typed fields",
    [aBody(true), cuts],
    ([{ body, ids }, at]) => agrees(body, ids, at)
  )

  it.effect.prop(
    "a body cut short anywhere is refused as malformed",
    [aBody(false), fc.nat(), cuts],
    ([{ body }, end, at]) =>
      Effect.gen(function* () {
        const short = body.slice(0, end % body.length)
        assert.match(yield* refusal(short, at), /^malformed JSON in the answer: /)
      })
  )

  // --- shapes --------------------------------------------------------------------------------

  it.effect("a list, one employee as an object, an empty list", () =>
    Effect.gen(function* () {
      const list = yield* decode(
        JSON.stringify({ ansatt: [makeEmployee({ id: "00100001" }), { id: "00100002" }] })
      )
      assert.strictEqual(list.size, 2)
      assert.strictEqual(list.get("100001")?.id, "00100001")
      assert.deepStrictEqual(list.get("00100002"), { id: "00100002", hasBrukerident: false })

      const one = yield* decode(JSON.stringify({ ansatt: makeEmployee({ id: "00100003" }) }))
      assert.strictEqual(one.size, 1)
      assert.strictEqual(one.get("100003")?.id, "00100003")

      assert.strictEqual((yield* decode(' { "ansatt" : [ ] } \n')).size, 0)
    })
  )

  it.effect("other top-level keys before and after ansatt are read past, nested or not", () =>
    Effect.gen(function* () {
      const body =
        '{"meta":{"ansatt":[{"id":"1"}],"s":"]}"},"n":-1.5e3,"t":true,"z":null,' +
        '"ansatt":[{"id":"00100001"}],"after":[[],{},"\\"}"]}'
      for (const size of [1, 3, 7, body.length]) {
        const index = yield* decode(
          body,
          Array.from({ length: body.length }, (_, i) => i * size)
        )
        assert.strictEqual(index.size, 1)
        assert.strictEqual(index.get("100001")?.id, "00100001")
      }
    })
  )

  it.effect("escapes and multi-byte UTF-8 split at every byte", () =>
    Effect.gen(function* () {
      const employee = {
        id: "00100001",
        eksternIdent: 'ærlig "Ø" \\ å\u0000😀@uni.example.no',
        epost: "\u00e6\u00f8\u00e5@uni.example.no",
        brukerident: "Å\\"
      }
      const body = JSON.stringify({ ansatt: [employee] }).replace("\\u0000", "\\u0000\\/")
      const bytes = encoder.encode(body).length
      const index = yield* decode(
        body,
        Array.from({ length: bytes }, (_, i) => i)
      )
      assert.deepStrictEqual(index.get("100001"), {
        ...employee,
        eksternIdent: 'ærlig "Ø" \\ å\u0000/😀@uni.example.no',
        hasBrukerident: true
      })
    })
  )

  it.effect("numeric ids, and ids no directory id can name", () =>
    Effect.gen(function* () {
      const index = yield* decode('{"ansatt":[{"id":30202},{"id":"abc"},{"id":"123456789"}]}')
      assert.strictEqual(index.get("00030202")?.id, "30202")
      assert.strictEqual(index.size, 1)
      assert.strictEqual(index.ignored, 2)
    })
  )

  it.effect("null and blank fields are absent; a brukerident key, even null, is recorded", () =>
    Effect.gen(function* () {
      const index = yield* decode(
        JSON.stringify({
          ansatt: [
            { id: "1", eksternIdent: null, epost: " ", brukerident: null },
            { id: "2", eksternIdent: "", epost: "e@x.no" },
            { id: "3", brukerident: "\t" }
          ]
        })
      )
      assert.deepStrictEqual(index.get("1"), { id: "1", hasBrukerident: true })
      assert.deepStrictEqual(index.get("2"), { id: "2", epost: "e@x.no", hasBrukerident: false })
      assert.deepStrictEqual(index.get("3"), { id: "3", hasBrukerident: true })
    })
  )

  // --- refusals ------------------------------------------------------------------------------

  it.effect("malformed, truncated and empty bodies", () =>
    Effect.gen(function* () {
      for (const body of [
        "",
        "   ",
        '{"ansatt":[{"id":',
        '{"ansatt":[{"id":"1"}]',
        '{"ansatt":[{"id":"1"},]}',
        '{"ansatt":[{"id":"1"}}',
        '{"ansatt":[{"id":"1" "x":2}]}',
        '{"ansatt":[],}',
        '{,"ansatt":[]}',
        '{"ansatt" []}',
        '{"ansatt":[]} x',
        '{"ansatt":[]}{}',
        '{"a":tru,"ansatt":[]}',
        '{"a":1 2,"ansatt":[]}',
        "{ansatt:[]}",
        "\ufeff" + '{"ansatt":[]}',
        "[1,2",
        "nul"
      ]) {
        assert.match(yield* refusal(body), /^malformed JSON in the answer: /, body)
      }
      assert.strictEqual(yield* refusal(""), "malformed JSON in the answer: the answer is empty")
      assert.match(yield* refusal('{"ansatt":[{"id":"1"},'), /ends early/)
    })
  )

  it.effect("JSON of another shape is unexpected, worded as the schema words it", () =>
    Effect.gen(function* () {
      for (const body of [
        "{}",
        '{"ansatte":[]}',
        '{"ansatt":null}',
        '{"ansatt":"nope"}',
        '{"ansatt":7}',
        "[]",
        "null",
        "42",
        '"ansatt"'
      ]) {
        const reason = yield* refusal(body)
        assert.match(reason, /^unexpected JSON in the answer: /, body)
        assert.include(reason, "ansatt", body)
      }
      assert.match(yield* refusal('{"ansatt":[],"ansatt":[]}'), /`ansatt` appears twice/)
    })
  )

  it.effect("a bad element is named by its index and id", () =>
    Effect.gen(function* () {
      const reason = yield* refusal(
        JSON.stringify({ ansatt: [{ id: "1" }, { id: "00100002", epost: 5 }, { id: "3" }] })
      )
      assert.match(reason, /^unexpected JSON in the answer: ansatt\[1\] \(id "00100002"\): /)
      assert.include(reason, "epost: Expected string")
      assert.match(yield* refusal('{"ansatt":[{"id":1},{"navn":"x"}]}'), /ansatt\[1\]: /)
      assert.match(yield* refusal('{"ansatt":[{"id":1},7]}'), /ansatt\[1\]: /)
      assert.match(yield* refusal('{"ansatt":{"id":true}}'), /ansatt: /)
    })
  )

  it.effect("a body over maxBytes is refused without reading further", () =>
    Effect.gen(function* () {
      const body = JSON.stringify({ ansatt: makeEmployees(50) })
      const chunks = chunked(
        body,
        Array.from({ length: 20 }, (_, i) => (i + 1) * 1000)
      )
      const { stream, counter } = pulled(chunks)
      const failure = yield* Effect.flip(
        decodeEmployeeList(stream, { status: 200, maxBytes: 4_500 })
      )
      assert.strictEqual(failure.reason, "the answer is larger than 4500 bytes; refused")
      assert.strictEqual(failure.status, 200)
      assert.isFalse(failure.transient)
      // 1000-byte chunks: the fifth passes 4500 bytes, and nothing is pulled after it.
      assert.strictEqual(counter.pulls, 5)

      const exact = pulled(chunked(body, [1000]))
      const index = yield* decodeEmployeeList(exact.stream, {
        status: 200,
        maxBytes: encoder.encode(body).length
      })
      assert.strictEqual(index.size, 50)
    })
  )

  it.effect("a refused element stops the reading too, and the stream's own failure passes", () =>
    Effect.gen(function* () {
      const body = `{"ansatt":[{"id":"1","epost":5},${'{"id":"2"},'.repeat(100)}{"id":"3"}]}`
      const { stream, counter } = pulled(
        chunked(
          body,
          Array.from({ length: 30 }, (_, i) => (i + 1) * 30)
        )
      )
      yield* Effect.flip(decodeEmployeeList(stream, { status: 200, maxBytes: 1 << 20 }))
      assert.strictEqual(counter.pulls, 2)

      const broken = new AttemptFailure({ reason: "request failed: reset", transient: true })
      const failure = yield* Effect.flip(
        decodeEmployeeList(
          Stream.concat(Stream.make(encoder.encode('{"ansatt":[')), Stream.fail(broken)),
          { status: 200, maxBytes: 1 << 20 }
        )
      )
      assert.strictEqual(failure, broken)
    })
  )
})

// --- the hand check ----------------------------------------------------------------------------

describe("employeeOf", () => {
  const decodeEmployee = Schema.decodeUnknownEither(DfoEmployee)
  const value = fc.oneof(field, wrongType, fc.constant(undefined))
  const candidate = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record(
        {
          id: fc.oneof(anId, value),
          eksternIdent: value,
          epost: value,
          brukerident: value,
          x: value
        },
        { requiredKeys: [] }
      )
    },
    { weight: 1, arbitrary: fc.anything() }
  )

  it.prop(
    "decodes exactly what DfoEmployee decodes, to the same employee",
    [candidate],
    ([json]) => {
      const schema = decodeEmployee(json, { onExcessProperty: "ignore" })
      const fast = employeeOf(json)
      if (Either.isRight(schema)) assert.deepStrictEqual(fast, schema.right)
      else assert.strictEqual(fast, undefined)
    }
  )
})

// --- end to end --------------------------------------------------------------------------------

const MANY = makeEmployees(20_000, { missingShare: 0.05 })

layer(DfoEmulator.layer({ apiKey: KEY, employees: MANY }), { excludeTestServices: true })(
  "DfoEmployees.list against the emulator",
  (it) => {
    it.effect("decodes a list of many employees as it arrives, chunked or not", () =>
      Effect.gen(function* () {
        const emu = yield* DfoEmulator
        emu.reset()
        const dfo = yield* DfoEmployees.DfoEmployees
        const expected = indexEmployees(
          Schema.decodeUnknownSync(DfoEmployeeList)(
            { ansatt: MANY },
            { onExcessProperty: "ignore" }
          ).ansatt
        )
        emu.script({ path: "", body: { ansatt: MANY }, chunked: true })
        for (let i = 0; i < 2; i++) {
          const index = yield* dfo.list()
          assertSameIndex(
            index,
            expected,
            MANY.map((e) => e.id)
          )
        }
        emu.script({ path: "", body: '{"ansatt":[{"id":"1"},{"id":"2"' })
        const error = failureOf(yield* Effect.exit(dfo.list()))
        assert.match(error.reason, /^malformed JSON in the answer: /)
        assert.strictEqual(error.status, 200)
        assert.strictEqual(error.attempts, 1)
        // The connection pool is still usable afterwards.
        assert.strictEqual((yield* dfo.list()).size, MANY.length)
      }).pipe(
        Effect.provide(
          Layer.unwrapEffect(
            Effect.map(DfoEmulator, (emu) =>
              DfoEmployees.layer({ baseUrl: emu.baseUrl, apiKey: emu.apiKey, maxRps: Infinity })
            )
          )
        )
      )
    )

    it.effect("a list over SAP_MAX_LIST_BYTES is refused while it streams", () =>
      Effect.gen(function* () {
        const emu = yield* DfoEmulator
        emu.reset()
        emu.script({ path: "", body: { ansatt: MANY }, chunked: true })
        const error = yield* Effect.flatMap(DfoEmployees.DfoEmployees, (dfo) =>
          Effect.exit(dfo.list())
        ).pipe(
          Effect.map(failureOf),
          Effect.provide(
            DfoEmployees.layer({ baseUrl: emu.baseUrl, apiKey: KEY, maxListBytes: 200_000 })
          )
        )
        assert.strictEqual(error.reason, "the answer is larger than 200000 bytes; refused")
        assert.strictEqual(error.attempts, 1)
      })
    )

    it.effect("a stalled list times out, and the request is aborted", () =>
      Effect.gen(function* () {
        const emu = yield* DfoEmulator
        emu.reset()
        emu.script({ path: "", stall: true })
        const error = yield* Effect.flatMap(DfoEmployees.DfoEmployees, (dfo) =>
          Effect.exit(dfo.list())
        ).pipe(
          Effect.map(failureOf),
          Effect.provide(
            DfoEmployees.layer({ baseUrl: emu.baseUrl, apiKey: KEY, timeoutMs: 300, maxRetries: 0 })
          )
        )
        assert.match(error.reason, /within 300 ms/)
        yield* waitFor(() => emu.log()[0]?.aborted === true)
        assert.strictEqual(emu.stats().inFlight, 0)
      })
    )

    it.effect(
      "a list may take longer than SAP_TIMEOUT_MS while it flows, but not pause that long",
      () =>
        Effect.gen(function* () {
          // A gateway sending the list in slices: 6 slices 100 ms apart take 500 ms against a
          // 300 ms limit, and succeed; the same list pausing for 1 s half way fails.
          const employees = makeEmployees(60)
          const body = JSON.stringify({ ansatt: employees })
          const slices = 6
          const serve = (pauseMs: number) =>
            Effect.acquireRelease(
              Effect.async<Server>((resume) => {
                const server = createServer((_, response) => {
                  response.writeHead(200, { "content-type": "application/json" })
                  const size = Math.ceil(body.length / slices)
                  let slice = 0
                  const next = () => {
                    response.write(body.slice(slice * size, (slice + 1) * size))
                    slice += 1
                    if (slice === slices) response.end()
                    else setTimeout(next, slice === slices / 2 ? pauseMs : 100)
                  }
                  next()
                })
                server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
              }),
              (server) =>
                Effect.async<void>((resume) => {
                  server.closeAllConnections()
                  server.close(() => resume(Effect.void))
                })
            )
          const listFrom = (server: Server) =>
            Effect.flatMap(DfoEmployees.DfoEmployees, (dfo) => Effect.exit(dfo.list())).pipe(
              Effect.provide(
                DfoEmployees.layer({
                  baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ansatte`,
                  apiKey: KEY,
                  timeoutMs: 300,
                  maxRetries: 0
                })
              )
            )
          const flowing = yield* Effect.scoped(Effect.flatMap(serve(100), listFrom))
          assert.isTrue(Exit.isSuccess(flowing))
          if (Exit.isSuccess(flowing)) assert.strictEqual(flowing.value.size, employees.length)
          const paused = failureOf(yield* Effect.scoped(Effect.flatMap(serve(1000), listFrom)))
          assert.isTrue(paused.transient)
          assert.match(paused.reason, /timeout/i)
        })
    )
  }
)
