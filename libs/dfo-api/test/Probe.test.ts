import { DfoEmulator } from "@dfo-writeback/dfo-emulator"
import { type SapFetchError } from "@dfo-writeback/domain"
import { assert, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { DfoEmployees } from "../src/index.js"
import { waitFor } from "./utils.js"

/** The emulator and a client with retries on: the probe must still send only one request. */
const setup = (options: Partial<DfoEmployees.DfoEmployeesOptions> = {}) =>
  Effect.gen(function* () {
    const emu = yield* DfoEmulator.scoped({}).pipe(Effect.orDie)
    const dfo = yield* DfoEmployees.make({
      baseUrl: emu.baseUrl,
      apiKey: emu.apiKey,
      maxRps: Infinity,
      maxRetries: 4,
      retryBaseMs: 10,
      ...options
    })
    return { emu, dfo }
  })

const failure = <A>(exit: Exit.Exit<A, SapFetchError>): SapFetchError => {
  assert(Exit.isFailure(exit) && exit.cause._tag === "Fail", `expected a failure, got ${exit}`)
  return exit.cause.error
}

it.scoped("probes with one GET of employee 00000000; DFØ's IKKE ANSATT answer is healthy", () =>
  Effect.gen(function* () {
    const { emu, dfo } = yield* setup()
    yield* dfo.probe()
    assert.deepStrictEqual(
      emu.log().map((entry) => [entry.method, entry.path, entry.status]),
      [["GET", `${emu.basePath}/00000000`, 404]]
    )
  })
)

it.scoped("a refused key, an unavailable DFØ or a wrong URL fails, after one request", () =>
  Effect.gen(function* () {
    const { emu, dfo } = yield* setup()
    const cases = [
      { status: 401, expect: /refused the API key/ },
      { status: 403, expect: /refused the API key/ },
      { status: 503, expect: /unavailable/ },
      { status: 500, expect: /HTTP 500/ },
      { status: 404, faultText: "Ressursen finnes ikke", expect: /not DFØ's IKKE ANSATT/ }
    ]
    for (const { expect, ...reply } of cases) {
      emu.resetLog()
      emu.script({ method: "GET", path: "/00000000", ...reply })
      const error = failure(yield* Effect.exit(dfo.probe()))
      assert.strictEqual(error.status, reply.status)
      assert.match(error.message, expect)
      assert.strictEqual(emu.log().length, 1, `HTTP ${reply.status}: no retry`)
    }
    emu.script({ method: "GET", path: "/00000000", status: 429 })
    yield* dfo.probe()
  })
)

it.scoped("a DFØ that does not answer in time fails the probe", () =>
  Effect.gen(function* () {
    const { emu, dfo } = yield* setup({ timeoutMs: 200 })
    emu.script({ method: "GET", path: "/00000000", stall: true })
    const error = failure(yield* Effect.exit(dfo.probe()))
    // undici's header timeout or the probe's own, whichever fires first.
    assert.match(error.message, /no answer within 200 ms|Headers Timeout/)
  })
)

it.live("the probe does not queue behind user calls waiting on the SAP_MAX_RPS limiter", () =>
  Effect.scoped(
    Effect.gen(function* () {
      // One request a second: 30 reads hold the limiter for half a minute.
      const { emu, dfo } = yield* setup({ maxRps: 1, timeoutMs: 2_000 })
      const reads = Array.from({ length: 30 }, () => "00100001")
      yield* Effect.forkScoped(
        Effect.forEach(reads, (id) => dfo.get(id), { concurrency: "unbounded", discard: true })
      )
      // The first read has reached DFØ: the other 29 wait on the limiter.
      yield* waitFor(() => emu.log().length > 0)
      yield* dfo.probe()
      const paths = emu.log().map((entry) => entry.path)
      assert.include(paths, `${emu.basePath}/00000000`)
      // The probe went while the users' reads still queued.
      assert.isBelow(paths.length, reads.length)
    })
  )
)
