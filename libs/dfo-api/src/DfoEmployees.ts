import {
  DfoEmployee,
  DfoEmployeeList,
  DfoFault,
  DfoLookup,
  type EmployeeIndex,
  indexEmployees,
  isEmployeeId,
  keyRefusalAdvice,
  keyRefusedStatuses,
  sameEmployee,
  secretConfig,
  SapFetchError,
  SapUpdateError,
  type DfoPatch
} from "@dfo-writeback/domain"
import {
  Clock,
  Config,
  Context,
  Duration,
  Effect,
  Either,
  Layer,
  Option,
  ParseResult,
  Redacted,
  Schedule,
  Schema,
  type ConfigError,
  type Scope
} from "effect"
import type * as HttpProxy from "./HttpProxy.js"
import { config as proxyConfig } from "./HttpProxy.js"
import { AttemptFailure } from "./internal/AttemptFailure.js"
import { makeDispatcher } from "./internal/dispatcher.js"
import { makeRateLimiter } from "./internal/RateLimiter.js"
import { parseWaitHeaders } from "./internal/RetryAfter.js"
import * as DfoMetrics from "./DfoMetrics.js"
import * as RequestTally from "./RequestTally.js"
import { type HttpAnswer, sendRequest } from "./internal/sendRequest.js"

/** Requests sent to DFØ by one `DfoEmployees` service since it started. */
export interface DfoRequestStats {
  /** HTTP attempts by method, retries included. */
  readonly requests: { readonly GET: number; readonly PUT: number; readonly PATCH: number }
  /** Attempts after the first of a call. */
  readonly retries: number
  /** Calls that ended in an error. */
  readonly failures: number
  /** `429` answers seen. */
  readonly rateLimited: number
  /** Attempts that hit `timeoutMs`. */
  readonly timeouts: number
}

/** Settings of the DFØ client; `layerConfig` reads them from CONTRACT §6's variables. */
export interface DfoEmployeesOptions {
  /** The employee collection, e.g. `https://gw.example.no/dfo/ansatte/v2` (SAP_ANSATT_BASE_URL). */
  readonly baseUrl: string
  /** The gateway key (SAP_API_KEY). */
  readonly apiKey: Redacted.Redacted<string> | string
  /** Requests a second over all callers (SAP_MAX_RPS, default 10); `Infinity` for no limit. */
  readonly maxRps?: number
  /** Requests that may go at once after a quiet spell. Default: one second's worth, at least 1. */
  readonly burst?: number
  /** Per attempt, body included (SAP_TIMEOUT_MS, default 10 000). */
  readonly timeoutMs?: number
  /** Retries of transient failures (SAP_MAX_RETRIES, default 4). */
  readonly maxRetries?: number
  /** First backoff delay, doubled each retry, with jitter (SAP_RETRY_BASE_MS, default 200). */
  readonly retryBaseMs?: number
  /** Longest backoff delay, default 30 000. A longer `Retry-After` still wins. */
  readonly retryMaxDelayMs?: number
  /** A `Retry-After` longer than this ends the retries at once. Default 120 000. */
  readonly maxRetryAfterMs?: number
  /** Largest body of the list (SAP_MAX_LIST_BYTES, default 512 MiB). */
  readonly maxListBytes?: number
  /** Largest body of any other answer. Default 1 MiB. */
  readonly maxEmployeeBytes?: number
  /** Most connections kept to DFØ. Default 64. */
  readonly connections?: number
  /** HTTPS_PROXY / HTTP_PROXY / NO_PROXY. Default: DFØ is reached directly. */
  readonly proxy?: HttpProxy.ProxySettings
  /** The write method (SAP_UPDATE_METHOD): `PUT` (default, CONTRACT §3) or `PATCH`. */
  readonly updateMethod?: UpdateMethod
}

/** How a write is sent. DFØ's gateway plans list `GET` and `PUT`; `PATCH` is for other gateways. */
export type UpdateMethod = "PUT" | "PATCH"

/** What a retry schedule reads from a failure. */
export interface Retryable {
  readonly transient: boolean
  readonly retryAfterMs?: number | undefined
}

/** DFØ's employee API (CONTRACT §3): read one, read all, write the three identifiers. */
export interface DfoEmployeesService {
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
   * else, a timeout or a transport error fails with the reason.
   */
  readonly probe: () => Effect.Effect<void, SapFetchError>
  /** Counters since the service started, for benchmarks. */
  readonly stats: () => Effect.Effect<DfoRequestStats>
}

const MiB = 1024 * 1024
const WRITE_FIELDS = ["eksternIdent", "epost", "brukerident"] as const
const IKKE_ANSATT = /IKKE ANSATT/i

interface Settings {
  readonly base: URL
  readonly apiKey: Redacted.Redacted<string>
  readonly maxRps: number
  readonly burst: number
  readonly timeoutMs: number
  readonly maxRetries: number
  readonly retryBaseMs: number
  readonly retryMaxDelayMs: number
  readonly maxRetryAfterMs: number
  readonly maxListBytes: number
  readonly maxEmployeeBytes: number
  readonly connections: number
  readonly updateMethod: UpdateMethod
}

const settingsOf = (options: DfoEmployeesOptions): Settings => {
  const base = new URL(options.baseUrl)
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new TypeError(`the DFØ base URL must be http(s), got ${base.protocol}`)
  }
  const maxRps = options.maxRps ?? 10
  return {
    base,
    apiKey: typeof options.apiKey === "string" ? Redacted.make(options.apiKey) : options.apiKey,
    maxRps,
    burst: options.burst ?? (Number.isFinite(maxRps) ? Math.max(1, Math.floor(maxRps)) : 1),
    timeoutMs: options.timeoutMs ?? 10_000,
    maxRetries: options.maxRetries ?? 4,
    retryBaseMs: options.retryBaseMs ?? 200,
    retryMaxDelayMs: options.retryMaxDelayMs ?? 30_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 120_000,
    maxListBytes: options.maxListBytes ?? 512 * MiB,
    maxEmployeeBytes: options.maxEmployeeBytes ?? MiB,
    connections: options.connections ?? 64,
    updateMethod: options.updateMethod ?? "PUT"
  }
}

const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text)

const parseJson = (text: string): Either.Either<unknown, string> => {
  try {
    return Either.right(JSON.parse(text) as unknown)
  } catch (error) {
    return Either.left(`malformed JSON in the answer: ${(error as Error).message}`)
  }
}

const decodeList = Schema.decodeUnknownEither(DfoEmployeeList)
/** A write's answer: the list shapes of a GET, or the employee object itself. */
const decodeWritten = Schema.decodeUnknownEither(
  Schema.Union(
    DfoEmployeeList,
    Schema.transform(DfoEmployee, Schema.typeSchema(DfoEmployeeList), {
      strict: true,
      decode: (employee) => ({ ansatt: [employee] }),
      encode: ({ ansatt }) => ansatt[0] ?? { id: "", hasBrukerident: false }
    })
  )
)
const decodeFault = Schema.decodeUnknownOption(DfoFault)
const decodeGatewayMessage = Schema.decodeUnknownOption(Schema.Struct({ message: Schema.String }))

/** What an error body says: DFØ's `faultText`, or the gateway's `message`. */
const explain = (answer: HttpAnswer): { faultText?: string; gatewayMessage?: string } => {
  if (answer.body === undefined || answer.body === "") return {}
  const json = parseJson(answer.body)
  if (Either.isLeft(json)) return {}
  const fault = decodeFault(json.right)
  if (Option.isSome(fault)) return { faultText: fault.value.standard.faultText }
  const gateway = decodeGatewayMessage(json.right)
  return Option.isSome(gateway) ? { gatewayMessage: gateway.value.message } : {}
}

/** The failure for any answer that is not a success of its call. */
const failureOf = (answer: HttpAnswer, now: number): AttemptFailure => {
  const { status } = answer
  const { faultText, gatewayMessage } = explain(answer)
  const said = gatewayMessage === undefined ? "" : `; the gateway said: ${clip(gatewayMessage)}`
  const wait = parseWaitHeaders(status, answer.headers, now)
  const retryAfterMs = wait?.ms
  const retryAfterText = wait === undefined ? "" : ` (${wait.header})`
  if (status === 429) {
    return new AttemptFailure({
      status,
      faultText,
      reason: `rate limited by the gateway${retryAfterText}${said}`,
      transient: true,
      retryAfterMs
    })
  }
  if (status === 502 || status === 503 || status === 504) {
    return new AttemptFailure({
      status,
      faultText,
      reason: `DFØ or the gateway is unavailable${retryAfterText}${said}`,
      transient: true,
      retryAfterMs
    })
  }
  if (keyRefusedStatuses.has(status)) {
    return new AttemptFailure({
      status,
      faultText,
      reason: `${keyRefusalAdvice(status)}${said}`,
      transient: false
    })
  }
  if (status === 404) {
    return new AttemptFailure({
      status,
      faultText,
      // A write to an employee DFØ no longer holds gets IKKE ANSATT too; the URL is fine.
      reason:
        faultText !== undefined && IKKE_ANSATT.test(faultText)
          ? `DFØ holds no such employee${said}`
          : `not found, and not DFØ's IKKE ANSATT answer (check SAP_ANSATT_BASE_URL)${said}`,
      transient: false
    })
  }
  if (status === 400 || status === 422) {
    return new AttemptFailure({
      status,
      faultText,
      reason: `DFØ rejected the request${said}`,
      transient: false
    })
  }
  return new AttemptFailure({
    status,
    faultText,
    reason: `unexpected answer HTTP ${status}${said}`,
    transient: false
  })
}

/** A success body as JSON, or the failure explaining why it is not usable. */
const successJson = (answer: HttpAnswer): Either.Either<unknown, AttemptFailure> => {
  if (answer.body === undefined) {
    return Either.left(
      new AttemptFailure({
        status: answer.status,
        reason: `the answer is larger than ${answer.bodyLimit} bytes; refused`,
        transient: false
      })
    )
  }
  return Either.mapLeft(
    parseJson(answer.body),
    (reason) => new AttemptFailure({ status: answer.status, reason, transient: false })
  )
}

const decodeEmployees = (answer: HttpAnswer): Either.Either<DfoEmployeeList, AttemptFailure> =>
  Either.flatMap(successJson(answer), (json) =>
    Either.mapLeft(
      decodeList(json, { onExcessProperty: "ignore" }),
      (error) =>
        new AttemptFailure({
          status: answer.status,
          reason: `unexpected JSON in the answer: ${clip(ParseResult.TreeFormatter.formatErrorSync(error))}`,
          transient: false
        })
    )
  )

/** The typed error of a call that failed, carrying its last attempt and how many were made. */
const toError =
  <E>(make: new (fields: ConstructorParameters<typeof SapFetchError>[0]) => E, sapId?: string) =>
  ({ failure, attempts }: { readonly failure: AttemptFailure; readonly attempts: number }): E =>
    new make({
      ...(sapId === undefined ? {} : { sapId }),
      status: failure.status,
      faultText: failure.faultText,
      attempts,
      reason: failure.reason,
      transient: failure.transient,
      retryAfterMs: failure.retryAfterMs
    })

/** Creates the client; its connection pool closes with the scope. */
export const make = (
  options: DfoEmployeesOptions
): Effect.Effect<DfoEmployeesService, never, Scope.Scope> =>
  Effect.gen(function* () {
    const settings = settingsOf(options)
    const pool = yield* Effect.acquireRelease(
      Effect.sync(() =>
        makeDispatcher(
          settings.base.origin,
          {
            connections: settings.connections,
            headersTimeout: settings.timeoutMs,
            bodyTimeout: settings.timeoutMs
          },
          options.proxy
        )
      ),
      (pool) => Effect.promise(() => pool.destroy())
    )
    const basePath = settings.base.pathname.replace(/\/+$/, "")
    const readHeaders = {
      accept: "application/json",
      "x-gravitee-api-key": Redacted.value(settings.apiKey)
    }
    const writeHeaders = { ...readHeaders, "content-type": "application/json" }
    const takeToken = makeRateLimiter(settings.maxRps, settings.burst)
    const counters = {
      GET: 0,
      PUT: 0,
      PATCH: 0,
      retries: 0,
      failures: 0,
      rateLimited: 0,
      timeouts: 0
    }

    const retryPolicy = Schedule.exponential(Duration.millis(settings.retryBaseMs)).pipe(
      Schedule.jittered,
      Schedule.modifyDelay((_, delay) =>
        Duration.min(delay, Duration.millis(settings.retryMaxDelayMs))
      ),
      Schedule.intersect(Schedule.identity<Retryable>()),
      Schedule.modifyDelay(([, failure], delay) =>
        failure.retryAfterMs === undefined
          ? delay
          : Duration.max(delay, Duration.millis(failure.retryAfterMs))
      ),
      Schedule.intersect(Schedule.recurs(settings.maxRetries)),
      Schedule.whileInput(
        (failure: Retryable) =>
          failure.transient &&
          (failure.retryAfterMs === undefined || failure.retryAfterMs <= settings.maxRetryAfterMs)
      )
    )

    /**
     * One call with its retries: each attempt waits for a rate-limit token, then has
     * `timeoutMs` for the whole exchange. Fails with the last attempt's failure and the
     * number of attempts made.
     */
    const call = <A>(
      method: "GET" | UpdateMethod,
      path: string,
      maxBytes: number,
      interpret: (answer: HttpAnswer, now: number) => Either.Either<A, AttemptFailure>,
      body?: string
    ): Effect.Effect<A, { readonly failure: AttemptFailure; readonly attempts: number }> =>
      Effect.suspend(() => {
        let attempts = 0
        // The timeout covers the exchange only, not the wait for a rate-limit token.
        const attempt = takeToken.pipe(
          Effect.zipRight(
            Effect.suspend(() => {
              attempts += 1
              counters[method] += 1
              if (attempts > 1) counters.retries += 1
              const retry = attempts > 1
              return RequestTally.count((tally) => {
                tally.requests += 1
                if (retry) tally.retries += 1
              }).pipe(
                Effect.zipRight(
                  sendRequest(pool, {
                    method,
                    path,
                    headers: method === "GET" ? readHeaders : writeHeaders,
                    maxBytes,
                    ...(body === undefined ? {} : { body })
                  })
                ),
                Effect.timeoutFail({
                  duration: Duration.millis(settings.timeoutMs),
                  onTimeout: () => {
                    counters.timeouts += 1
                    return new AttemptFailure({
                      reason: `no complete answer within ${settings.timeoutMs} ms`,
                      transient: true
                    })
                  }
                }),
                DfoMetrics.measured(method, retry)
              )
            })
          ),
          Effect.flatMap((answer) => {
            if (answer.status !== 429) {
              return Effect.flatMap(Clock.currentTimeMillis, (now) => interpret(answer, now))
            }
            counters.rateLimited += 1
            return RequestTally.count((tally) => {
              tally.rateLimited += 1
            }).pipe(
              Effect.zipRight(Clock.currentTimeMillis),
              Effect.flatMap((now) => interpret(answer, now))
            )
          }),
          Effect.tapError((failure) =>
            failure.transient
              ? Effect.logDebug("DFØ request failed").pipe(
                  Effect.annotateLogs({
                    method,
                    path,
                    attempt: attempts,
                    status: failure.status,
                    reason: failure.reason
                  })
                )
              : Effect.void
          )
        )
        return attempt.pipe(
          // Writes are never retried here: the caller re-reads the employee first.
          method === "GET" ? Effect.retry(retryPolicy) : (effect) => effect,
          Effect.mapError((failure) => {
            counters.failures += 1
            return { failure, attempts }
          })
        )
      })

    const employeePath = (id: string) => `${basePath}/${encodeURIComponent(id)}`

    const notSent = "the employee id is not 1–8 digits; nothing was sent"

    const get = Effect.fn("DfoEmployees.get")(function* (id: string) {
      if (!isEmployeeId(id)) {
        counters.failures += 1
        return yield* new SapFetchError({ sapId: id, attempts: 0, reason: notSent })
      }
      return yield* call(
        "GET",
        employeePath(id),
        settings.maxEmployeeBytes,
        (answer, now): Either.Either<DfoLookup, AttemptFailure> => {
          if (answer.status === 404) {
            const { faultText } = explain(answer)
            if (faultText !== undefined && IKKE_ANSATT.test(faultText)) {
              return Either.right(DfoLookup.NotFound({ faultText }))
            }
          }
          if (answer.status !== 200) return Either.left(failureOf(answer, now))
          return Either.flatMap(decodeEmployees(answer), ({ ansatt }) => {
            const [employee] = ansatt
            // A 200 with an empty list means the same as the IKKE ANSATT 404 (CONTRACT §3).
            if (employee === undefined) {
              return Either.right<DfoLookup>(
                DfoLookup.NotFound({ faultText: "DFØ answered 200 with no employee" })
              )
            }
            if (ansatt.length !== 1 || !sameEmployee(employee.id, id)) {
              return Either.left(
                new AttemptFailure({
                  status: answer.status,
                  reason: `expected employee ${id} alone, got ${ansatt.length} employee(s) starting with ${clip(employee.id, 20)}`,
                  transient: false
                })
              )
            }
            return Either.right<DfoLookup>(DfoLookup.Found({ employee }))
          })
        }
      ).pipe(Effect.mapError(toError(SapFetchError, id)))
    })

    const list = Effect.fn("DfoEmployees.list")(function* () {
      return yield* call(
        "GET",
        basePath === "" ? "/" : basePath,
        settings.maxListBytes,
        (answer, now): Either.Either<EmployeeIndex, AttemptFailure> =>
          answer.status === 200
            ? Either.map(decodeEmployees(answer), ({ ansatt }) => indexEmployees(ansatt))
            : Either.left(failureOf(answer, now))
      ).pipe(Effect.mapError(toError(SapFetchError)))
    })

    /** A write's answer: the employee it shows, if any; its shape is checked like a read's. */
    const writtenEmployee = (
      id: string,
      answer: HttpAnswer
    ): Either.Either<Option.Option<DfoEmployee>, AttemptFailure> => {
      if (answer.status === 204 || answer.body === "") return Either.right(Option.none())
      return Either.flatMap(successJson(answer), (json) => {
        const decoded = decodeWritten(json, { onExcessProperty: "ignore" })
        if (Either.isLeft(decoded)) {
          return Either.left(
            new AttemptFailure({
              status: answer.status,
              reason: `DFØ accepted the write, but its answer is not an employee: ${clip(ParseResult.TreeFormatter.formatErrorSync(decoded.left))}`,
              transient: false
            })
          )
        }
        const [employee, ...others] = decoded.right.ansatt
        if (employee === undefined) return Either.right(Option.none())
        if (others.length > 0 || !sameEmployee(employee.id, id)) {
          return Either.left(
            new AttemptFailure({
              status: answer.status,
              reason: `DFØ accepted the write, but answered with employee ${clip(employee.id, 20)}${others.length > 0 ? ` and ${others.length} more` : ""}`,
              transient: false
            })
          )
        }
        return Either.right(Option.some(employee))
      })
    }

    const write = Effect.fn("DfoEmployees.write")(function* (id: string, fields: DfoPatch) {
      if (!isEmployeeId(id)) {
        counters.failures += 1
        return yield* new SapUpdateError({ sapId: id, attempts: 0, reason: notSent })
      }
      const body: Record<string, string> = {}
      for (const field of WRITE_FIELDS) {
        const value = fields[field]
        if (value !== undefined) body[field] = value
      }
      if (Object.keys(body).length === 0) return Option.none<DfoEmployee>()
      yield* Effect.annotateCurrentSpan("method", settings.updateMethod)
      return yield* call(
        settings.updateMethod,
        employeePath(id),
        settings.maxEmployeeBytes,
        (answer, now): Either.Either<Option.Option<DfoEmployee>, AttemptFailure> =>
          answer.status === 200 || answer.status === 204
            ? writtenEmployee(id, answer)
            : Either.left(failureOf(answer, now)),
        JSON.stringify(body)
      ).pipe(Effect.mapError(toError(SapUpdateError, id)))
    })

    const probe = Effect.fn("DfoEmployees.probe")(function* () {
      const path = employeePath("00000000")
      const fail = (reason: string, status?: number, faultText?: string) =>
        new SapFetchError({ sapId: "00000000", status, faultText, attempts: 1, reason })
      const answer = yield* takeToken.pipe(
        Effect.zipRight(
          // A request to DFØ like any other: /metrics counts what DFØ received.
          sendRequest(pool, { method: "GET", path, headers: readHeaders, maxBytes: MiB }).pipe(
            DfoMetrics.measured("GET", false)
          )
        ),
        Effect.timeoutFail({
          duration: Duration.millis(settings.timeoutMs),
          onTimeout: () =>
            new AttemptFailure({
              reason: `no answer within ${settings.timeoutMs} ms`,
              transient: true
            })
        }),
        Effect.mapError((failure) => fail(failure.reason))
      )
      const { faultText } = explain(answer)
      const known = faultText !== undefined && IKKE_ANSATT.test(faultText)
      if (answer.status === 200 || answer.status === 429 || (answer.status === 404 && known)) return
      const failure = failureOf(answer, yield* Clock.currentTimeMillis)
      return yield* fail(failure.reason, failure.status, failure.faultText)
    })

    const stats = Effect.sync((): DfoRequestStats => ({
      requests: { GET: counters.GET, PUT: counters.PUT, PATCH: counters.PATCH },
      retries: counters.retries,
      failures: counters.failures,
      rateLimited: counters.rateLimited,
      timeouts: counters.timeouts
    }))

    return DfoEmployees.of({
      get,
      list: () => list(),
      write,
      retrySchedule: retryPolicy,
      probe: () => probe(),
      stats: () => stats
    })
  })

const isHttpUrl = (text: string) => {
  try {
    const url = new URL(text)
    return url.protocol === "http:" || url.protocol === "https:"
  } catch {
    return false
  }
}

const atLeast = (name: string, min: number, fallback: number, read = Config.integer) =>
  read(name).pipe(
    Config.validate({
      message: `${name} must be ${min === 0 ? "0 or more" : "greater than 0"}`,
      validation: (n) => (min === 0 ? n >= 0 : n > 0)
    }),
    Config.withDefault(fallback)
  )

/** Node.js timers overflow above 2^31 − 1 ms and then fire at once. */
const maxTimerMs = 2_147_483_647

const milliseconds = (name: string, min: number, fallback: number) =>
  atLeast(name, min, fallback).pipe(
    Config.validate({
      message: `${name} must be at most ${maxTimerMs} ms`,
      validation: (n) => n <= maxTimerMs
    })
  )

/**
 * A key sendable as the `X-Gravitee-Api-Key` value: visible ASCII, no surrounding space.
 * Anything else would fail every request (and be retried as transient) or be cut short.
 */
const headerSafe = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/

/** CONTRACT §6's DFØ settings, plus SAP_RETRY_BASE_MS and SAP_MAX_LIST_BYTES. */
export const config: Config.Config<DfoEmployeesOptions> = Config.all({
  baseUrl: Config.string("SAP_ANSATT_BASE_URL").pipe(
    Config.validate({
      message: "SAP_ANSATT_BASE_URL must be an http(s) URL",
      validation: isHttpUrl
    })
  ),
  apiKey: secretConfig("SAP_API_KEY").pipe(
    // The message never shows the key itself.
    Config.validate({
      message:
        "SAP_API_KEY cannot be sent as an HTTP header value (control characters, non-ASCII " +
        "or surrounding whitespace)",
      validation: (key) => headerSafe.test(Redacted.value(key))
    })
  ),
  maxRps: atLeast("SAP_MAX_RPS", 1, 10, Config.number),
  timeoutMs: milliseconds("SAP_TIMEOUT_MS", 1, 10_000),
  maxRetries: atLeast("SAP_MAX_RETRIES", 0, 4),
  retryBaseMs: milliseconds("SAP_RETRY_BASE_MS", 1, 200),
  maxListBytes: atLeast("SAP_MAX_LIST_BYTES", 1, 512 * MiB),
  updateMethod: Config.literal("PUT", "PATCH")("SAP_UPDATE_METHOD").pipe(Config.withDefault("PUT")),
  proxy: proxyConfig
})

/** The DFØ employee API client. */
export class DfoEmployees extends Context.Tag("@dfo-writeback/dfo-api/DfoEmployees")<
  DfoEmployees,
  DfoEmployeesService
>() {}

/** A client from plain options (tests, benchmarks). */
export const layer = (options: DfoEmployeesOptions): Layer.Layer<DfoEmployees> =>
  Layer.scoped(DfoEmployees, make(options))

/** A client from the environment's SAP_* settings (CONTRACT §6). */
export const layerConfig: Layer.Layer<DfoEmployees, ConfigError.ConfigError> = Layer.scoped(
  DfoEmployees,
  Effect.flatMap(config, make)
)
