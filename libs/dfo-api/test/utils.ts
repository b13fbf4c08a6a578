import { DfoEmployees, DfoMetrics } from "../src/index.js"
// The tests run against the real emulator over HTTP (DESIGN: "the emulator over real HTTP").
import {
  DfoEmulator,
  type Emulator,
  makeEmployee,
  makeEmployees
} from "@dfo-writeback/dfo-emulator"
import { type DfoEmployee, type DfoLookup } from "@dfo-writeback/domain"
import { Effect, Exit, Layer } from "effect"

export const KEY = "emulator-secret-7f3a"
/** A key on a read-only plan: the gateway lets it `GET` only. */
export const READ_ONLY_KEY = "emulator-readonly-4b2e"

export const EMPLOYEES = [
  ...makeEmployees(4),
  makeEmployee({ id: "00200001", eksternIdent: null, epost: "", brukerident: undefined }),
  makeEmployee({ id: "00200002", epost: "  ", brukerident: "keep01", nyttFelt: { a: 1 } }),
  makeEmployee({ id: "00200003", brukerident: null }),
  // Stored by the emulator as 00030202, as DFØ answers it.
  makeEmployee({ id: "30202" })
]

/** The suite's emulator: one read-write key and one read-only key. */
export const emulatorLayer = DfoEmulator.layer({
  apiKey: KEY,
  apiKeys: [{ key: READ_ONLY_KEY, plan: "read-only" }],
  employees: EMPLOYEES
})

/** A client of the suite's emulator; retries fast and without a rate limit unless told. */
export const client = (options: Partial<DfoEmployees.DfoEmployeesOptions> = {}) =>
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

/** What the client's process-wide counters (`DfoMetrics`) added up to since `before`. */
const countedSince = (before: DfoMetrics.DfoTotals) =>
  Effect.map(DfoMetrics.totals, (after): DfoMetrics.DfoTotals => ({
    requests: {
      GET: after.requests.GET - before.requests.GET,
      PUT: after.requests.PUT - before.requests.PUT,
      PATCH: after.requests.PATCH - before.requests.PATCH
    },
    retries: after.retries - before.retries,
    failures: after.failures - before.failures,
    rateLimited: after.rateLimited - before.rateLimited,
    timeouts: after.timeouts - before.timeouts
  }))

/**
 * The emulator, reset to its seed, a client, and `counted`: the client's counters since
 * this test began (a suite's tests run one at a time).
 */
export const setup = Effect.gen(function* () {
  const emu = yield* DfoEmulator
  emu.reset()
  const dfo = yield* DfoEmployees.DfoEmployees
  const counted = countedSince(yield* DfoMetrics.totals)
  return { emu, dfo, counted }
})

/** A real-time pause, also under the TestClock. */
export const pause = (ms = 5) =>
  Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** Polls in real time until `condition` holds; dies after 5 s. */
export const waitFor = (condition: () => boolean) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 5_000
    while (!condition()) {
      if (Date.now() > deadline) return yield* Effect.dieMessage("condition not met within 5 s")
      yield* pause()
    }
  })

/** What the emulator received: method, path below the base, status, body (when any). */
export const received = (emu: Emulator) =>
  emu.log().map((e) => ({
    method: e.method,
    path: e.path.startsWith(emu.basePath) ? e.path.slice(emu.basePath.length) : e.path,
    status: e.status,
    ...(e.body === undefined ? {} : { body: e.body })
  }))

export const requestsTo = (emu: Emulator, method: string, path: string) =>
  emu.log().filter((e) => e.method === method && e.path === `${emu.basePath}${path}`)

/** The typed failure of an exit; throws on success or a defect. */
export const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return failure
}

/** The employee of a `Found` lookup; throws on `NotFound`. */
export const foundEmployee = (lookup: DfoLookup): DfoEmployee => {
  if (lookup._tag !== "Found") throw new Error(`expected Found, got NotFound: ${lookup.faultText}`)
  return lookup.employee
}
