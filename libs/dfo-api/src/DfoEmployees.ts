import {
  type DfoEmployee,
  type DfoLookup,
  type DfoPatch,
  type EmployeeIndex,
  isEmployeeId,
  SapFetchError,
  SapUpdateError
} from "@dfo-writeback/domain"
import { Context, Effect, Layer, Option, type ConfigError, type Schedule, type Scope } from "effect"
import * as DfoMetrics from "./DfoMetrics.js"
import { config, type DfoEmployeesOptions, resolve } from "./DfoOptions.js"
import { type CallFailure, makeCaller, type Retryable, retryPolicy } from "./internal/Attempt.js"
import { makeExchange } from "./internal/Exchange.js"
import { lookupOf, probeOf, writtenOf } from "./internal/Reading.js"
import * as TokenBucket from "./internal/TokenBucket.js"

export { config, type DfoEmployeesOptions, type UpdateMethod } from "./DfoOptions.js"
export type { Retryable } from "./internal/Attempt.js"

/**
 * DFØ's employee API (CONTRACT §3): read one, read all, write the three identifiers. What
 * it asked of DFØ is counted in `DfoMetrics` (process-wide) and `RequestTally` (per run).
 */
export interface DfoEmployeesService {
  /**
   * The employee collection's URL without credentials, query or fragment: what a log line
   * or an abort reason may name.
   */
  readonly endpoint: string
  /**
   * `NotFound` only when DFØ answers 404 with the `IKKE ANSATT` fault, or 200 with no
   * employee; an answer about another employee is a failure. Transient answers are retried.
   */
  readonly get: (id: string) => Effect.Effect<DfoLookup, SapFetchError>
  /** Every employee, with one `GET {base}`, as an index. Transient answers are retried. */
  readonly list: () => Effect.Effect<EmployeeIndex, SapFetchError>
  /**
   * One write (`SAP_UPDATE_METHOD`, default `PUT`) of only the fields given, never
   * retried here: a retry must first re-read the employee (CONTRACT §4 step 10), which
   * only the caller can do, with `retrySchedule`. Succeeds with the employee as DFØ
   * answers it after the write, or `None` when the answer carries none (`204`).
   */
  readonly write: (
    id: string,
    fields: DfoPatch
  ) => Effect.Effect<Option.Option<DfoEmployee>, SapUpdateError>
  /**
   * The schedule reads use between attempts: transient failures only, exponential and
   * jittered, at least the gateway's `Retry-After`, giving up on an absurd one.
   */
  readonly retrySchedule: Schedule.Schedule<unknown, Retryable>
  /**
   * One `GET {base}/00000000`, no retries (the server's health check): DFØ's answer
   * (`200`, the `IKKE ANSATT` 404, or `429`) means reachable with a working key; anything
   * else, a timeout or a transport error fails with the reason. It does not wait on the
   * `maxRps` limiter: behind a queue of user calls it would time out and report a DFØ that
   * is fine as down. One request per health interval needs no budget of its own.
   */
  readonly probe: () => Effect.Effect<void, SapFetchError>
}

const WRITE_FIELDS = ["eksternIdent", "epost", "brukerident"] as const
const PROBE_ID = "00000000"
const notSent = "the employee id is not 1–8 digits; nothing was sent"

/** The typed error of a call that failed, carrying its last attempt and how many were made. */
const toError =
  <E>(make: new (fields: ConstructorParameters<typeof SapFetchError>[0]) => E, sapId?: string) =>
  ({ failure, attempts }: CallFailure): E =>
    new make({
      ...(sapId === undefined ? {} : { sapId }),
      status: failure.status,
      faultText: failure.faultText,
      attempts,
      reason: failure.reason,
      transient: failure.transient,
      retryAfterMs: failure.retryAfterMs
    })

/** Only the fields to write, in DFØ's order; `undefined` when there are none. */
const bodyOf = (fields: DfoPatch): string | undefined => {
  const body: Record<string, string> = {}
  let any = false
  for (const field of WRITE_FIELDS) {
    const value = fields[field]
    if (value !== undefined) {
      body[field] = value
      any = true
    }
  }
  return any ? JSON.stringify(body) : undefined
}

/**
 * One span a call: it ends with the last attempt's status; failed attempts are its events.
 * `Effect.useSpan`, not `withSpan`: a call runs nothing that needs its span as the parent,
 * and not making it the fiber's current span saves 25 of `withSpan`'s 36 Effect operations
 * a call. A failed attempt's debug line therefore names the caller's span (the user's).
 */
const spanOptions = { kind: "client", captureStackTrace: false } as const
const getSpan = { ...spanOptions, attributes: { "http.request.method": "GET" } }

/** Creates the client; its connection pool closes with the scope. */
export const make = (
  options: DfoEmployeesOptions
): Effect.Effect<DfoEmployeesService, never, Scope.Scope> =>
  Effect.gen(function* () {
    const settings = resolve(options)
    const exchange = yield* makeExchange(settings)
    const bucket = Number.isFinite(settings.maxRps)
      ? TokenBucket.make(settings.maxRps, settings.burst)
      : undefined
    const caller = makeCaller(exchange, bucket, settings)
    const basePath = settings.base.pathname.replace(/\/+$/, "")
    const employeePath = (id: string) => `${basePath}/${encodeURIComponent(id)}`
    const employeeBytes = settings.maxEmployeeBytes
    const late = `no complete answer within ${settings.timeoutMs} ms`
    const method = settings.updateMethod
    const writeSpan = { ...spanOptions, attributes: { method, "http.request.method": method } }

    const get = (id: string): Effect.Effect<DfoLookup, SapFetchError> =>
      Effect.useSpan("DfoEmployees.get", getSpan, (span) => {
        if (!isEmployeeId(id)) {
          DfoMetrics.countFailure("GET")
          return new SapFetchError({ sapId: id, attempts: 0, reason: notSent })
        }
        return Effect.mapError(
          caller.small(
            {
              method: "GET",
              path: employeePath(id),
              body: undefined,
              maxBytes: employeeBytes,
              lateReason: late,
              read: lookupOf(id),
              retried: true,
              paced: true,
              health: false
            },
            span
          ),
          toError(SapFetchError, id)
        )
      })

    const listPath = basePath === "" ? "/" : basePath
    const list = caller
      .list(listPath, settings.maxListBytes)
      .pipe(
        Effect.mapError(toError(SapFetchError)),
        Effect.withSpan("DfoEmployees.list", { captureStackTrace: false })
      )

    const write = (
      id: string,
      fields: DfoPatch
    ): Effect.Effect<Option.Option<DfoEmployee>, SapUpdateError> =>
      Effect.useSpan("DfoEmployees.write", writeSpan, (span) => {
        if (!isEmployeeId(id)) {
          DfoMetrics.countFailure(method)
          return new SapUpdateError({ sapId: id, attempts: 0, reason: notSent })
        }
        const body = bodyOf(fields)
        if (body === undefined) return Effect.succeed(Option.none<DfoEmployee>())
        // Writes are never retried here: the caller re-reads the employee first.
        return Effect.mapError(
          caller.small(
            {
              method,
              path: employeePath(id),
              body,
              maxBytes: employeeBytes,
              lateReason: late,
              read: writtenOf(id),
              retried: false,
              paced: true,
              health: false
            },
            span
          ),
          toError(SapUpdateError, id)
        )
      })

    const probe = Effect.useSpan("DfoEmployees.probe", getSpan, (span) =>
      Effect.mapError(
        caller.small(
          {
            method: "GET",
            path: employeePath(PROBE_ID),
            body: undefined,
            maxBytes: employeeBytes,
            lateReason: `no answer within ${settings.timeoutMs} ms`,
            read: probeOf,
            retried: false,
            paced: false,
            health: true
          },
          span
        ),
        toError(SapFetchError, PROBE_ID)
      )
    )

    return DfoEmployees.of({
      endpoint: `${settings.base.origin}${basePath}`,
      get,
      list: () => list,
      write,
      retrySchedule: retryPolicy(settings),
      probe: () => probe
    })
  })

/** The DFØ employee API client. */
export class DfoEmployees extends Context.Tag("@dfo-writeback/dfo-api/DfoEmployees")<
  DfoEmployees,
  DfoEmployeesService
>() {}

/** A client from plain options (tests, benchmarks). */
export const layer = (options: DfoEmployeesOptions): Layer.Layer<DfoEmployees> =>
  Layer.scoped(DfoEmployees, Effect.zipRight(DfoMetrics.zeros, make(options)))

/** A client from the environment's SAP_* settings (CONTRACT §6). */
export const layerConfig: Layer.Layer<DfoEmployees, ConfigError.ConfigError> = Layer.scoped(
  DfoEmployees,
  Effect.zipRight(DfoMetrics.zeros, Effect.flatMap(config, make))
)
