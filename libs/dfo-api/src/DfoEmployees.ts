import {
  DfoEmployee,
  DfoEmployeeList,
  DfoLookup,
  type EmployeeIndex,
  isEmployeeId,
  sameEmployee,
  secretConfig,
  SapFetchError,
  SapUpdateError,
  type DfoPatch
} from "@dfo-writeback/domain"
import type { HttpClientResponse } from "@effect/platform/HttpClientResponse"
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
  RateLimiter,
  Redacted,
  Schedule,
  Schema,
  type ConfigError,
  type Scope
} from "effect"
import type * as HttpProxy from "./HttpProxy.js"
import { config as proxyConfig } from "./HttpProxy.js"
import {
  type Answer,
  clip,
  explain,
  failureOf,
  IKKE_ANSATT,
  successJson
} from "./internal/Answer.js"
import { AttemptFailure } from "./internal/AttemptFailure.js"
import { declaredTooLarge, tooLarge } from "./internal/BoundedBody.js"
import * as Deadline from "./internal/Deadline.js"
import { bodyOf, discard, makeExchange, type Method, readAnswer } from "./internal/Exchange.js"
import { decodeEmployeeList } from "./internal/ListDecoder.js"
import * as DfoMetrics from "./DfoMetrics.js"
import * as RequestTally from "./RequestTally.js"

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
  /**
   * Per attempt, body included (SAP_TIMEOUT_MS, default 10 000). The list's body, read
   * and decoded as it arrives, may take longer but never pause for longer than this.
   */
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

const MiB = 1024 * 1024
const WRITE_FIELDS = ["eksternIdent", "epost", "brukerident"] as const

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
const decodeEmployees = Schema.decodeUnknownEither(DfoEmployeeList)

/** An answer that is not a success of its call, as the attempt's failure. */
const refuse = (answer: Answer): Effect.Effect<never, AttemptFailure> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.fail(failureOf(answer, now)))

/** A success body as DFØ's employee list. */
const employeesOf = (answer: Answer): Either.Either<DfoEmployeeList, AttemptFailure> =>
  Either.flatMap(successJson(answer), (json) =>
    Either.mapLeft(
      decodeEmployees(json, { onExcessProperty: "ignore" }),
      (error) =>
        new AttemptFailure({
          status: answer.status,
          reason: `unexpected JSON in the answer: ${clip(ParseResult.TreeFormatter.formatErrorSync(error))}`,
          transient: false
        })
    )
  )

/** `GET {base}/{id}`'s answer as a lookup of `id`. */
const lookupOf = (id: string, answer: Answer): Effect.Effect<DfoLookup, AttemptFailure> => {
  if (answer.status === 404) {
    const { faultText } = explain(answer)
    if (faultText !== undefined && IKKE_ANSATT.test(faultText)) {
      return Effect.succeed(DfoLookup.NotFound({ faultText }))
    }
  }
  if (answer.status !== 200) return refuse(answer)
  return Either.flatMap(employeesOf(answer), ({ ansatt }) => {
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

/** A write's answer: the employee it shows, if any; its shape is checked like a read's. */
const writtenEmployee = (
  id: string,
  answer: Answer
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

const countRequest = (tally: RequestTally.RequestTally) => {
  tally.requests += 1
}
const countRetry = (tally: RequestTally.RequestTally) => {
  tally.requests += 1
  tally.retries += 1
}
const countRateLimited = (tally: RequestTally.RequestTally) => {
  tally.rateLimited += 1
}

/** What an attempt's measurement reads: the answer's status, beside the call's value. */
interface Answered<A> {
  readonly status: number
  readonly value: A
}

/** Creates the client; its connection pool and rate limiter close with the scope. */
export const make = (
  options: DfoEmployeesOptions
): Effect.Effect<DfoEmployeesService, never, Scope.Scope> =>
  Effect.gen(function* () {
    const settings = settingsOf(options)
    const send = yield* makeExchange({ ...settings, proxy: options.proxy })
    const basePath = settings.base.pathname.replace(/\/+$/, "")
    // A token bucket of `burst` tokens, refilled at `maxRps` a second.
    const takeToken = Number.isFinite(settings.maxRps)
      ? (yield* RateLimiter.make({
          limit: settings.burst,
          interval: Duration.seconds(settings.burst / settings.maxRps),
          algorithm: "token-bucket"
        }))(Effect.void)
      : Effect.void
    const timeout = Duration.millis(settings.timeoutMs)

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
     * `Effect.retry(retryPolicy)`, its schedule started only once the first attempt has
     * failed: most calls succeed at once and need none.
     */
    const retried = <A>(attempt: Effect.Effect<A, AttemptFailure>) =>
      Effect.catchAll(attempt, (first) =>
        Effect.flatMap(Schedule.driver(retryPolicy), (driver) => {
          const next = (failure: AttemptFailure): Effect.Effect<A, AttemptFailure> =>
            Effect.matchEffect(driver.next(failure), {
              onFailure: () => Effect.fail(failure),
              onSuccess: () => Effect.catchAll(attempt, next)
            })
          return next(first)
        })
      )

    /**
     * One call with its retries: each attempt waits for a rate-limit token, then has
     * `timeoutMs` for the whole exchange, the answer read and decoded. Fails with the last
     * attempt's failure and the number of attempts made.
     *
     * `long` (the list) times only the wait for the answer's headers: its body is tens of
     * megabytes decoded as they arrive, which may take longer than any one request should,
     * and undici's body timeout (the same `timeoutMs`) ends it if it pauses.
     */
    const call = <A>(
      method: Method,
      path: string,
      consume: (response: HttpClientResponse) => Effect.Effect<A, AttemptFailure>,
      body?: string,
      long = false
    ): Effect.Effect<A, { readonly failure: AttemptFailure; readonly attempts: number }> =>
      Effect.suspend(() => {
        let attempts = 0
        const answer = (
          response: HttpClientResponse
        ): Effect.Effect<Answered<A>, AttemptFailure> => {
          const answered = Effect.map(consume(response), (value): Answered<A> => ({
            status: response.status,
            value
          }))
          if (response.status !== 429) return answered
          return DfoMetrics.refusedForRate(method).pipe(
            Effect.zipRight(RequestTally.count(countRateLimited)),
            Effect.zipRight(answered)
          )
        }
        const timed = Deadline.within(settings.timeoutMs, () =>
          Effect.zipRight(
            DfoMetrics.timedOut(method),
            Effect.fail(
              new AttemptFailure({
                reason: long
                  ? `no answer within ${settings.timeoutMs} ms`
                  : `no complete answer within ${settings.timeoutMs} ms`,
                transient: true
              })
            )
          )
        )
        const exchange = long
          ? Effect.flatMap(timed(send(method, path, body, Effect.succeed)), answer)
          : timed(send(method, path, body, answer))
        // The timeout covers the exchange only, not the wait for a rate-limit token.
        const attempt = Effect.zipRight(
          takeToken,
          Effect.suspend(() => {
            attempts += 1
            const retry = attempts > 1
            return RequestTally.count(retry ? countRetry : countRequest).pipe(
              Effect.zipRight(exchange),
              DfoMetrics.measured(method, retry)
            )
          })
        ).pipe(
          Effect.map((answered) => answered.value),
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
          method === "GET" ? retried : (effect) => effect,
          Effect.tapError(() => DfoMetrics.failed(method)),
          Effect.mapError((failure) => ({ failure, attempts }))
        )
      })

    const employeePath = (id: string) => `${basePath}/${encodeURIComponent(id)}`
    const listPath = basePath === "" ? "/" : basePath

    const notSent = "the employee id is not 1–8 digits; nothing was sent"

    const get = (id: string): Effect.Effect<DfoLookup, SapFetchError> =>
      (isEmployeeId(id)
        ? call("GET", employeePath(id), (response) =>
            Effect.flatMap(readAnswer(response, settings.maxEmployeeBytes), (answer) =>
              lookupOf(id, answer)
            )
          ).pipe(Effect.mapError(toError(SapFetchError, id)))
        : Effect.zipRight(
            DfoMetrics.failed("GET"),
            new SapFetchError({ sapId: id, attempts: 0, reason: notSent })
          )
      ).pipe(Effect.withSpan("DfoEmployees.get", { captureStackTrace: false }))

    /** The list's success is decoded as it is read; any other answer is read whole. */
    const listOf = (response: HttpClientResponse): Effect.Effect<EmployeeIndex, AttemptFailure> => {
      if (response.status !== 200) {
        return Effect.flatMap(readAnswer(response, settings.maxListBytes), refuse)
      }
      if (declaredTooLarge(response.headers, settings.maxListBytes)) {
        return Effect.zipRight(
          discard(response),
          Effect.fail(tooLarge(response.status, settings.maxListBytes))
        )
      }
      return decodeEmployeeList(bodyOf(response), {
        status: response.status,
        maxBytes: settings.maxListBytes
      })
    }

    const list = call("GET", listPath, listOf, undefined, true).pipe(
      Effect.mapError(toError(SapFetchError)),
      Effect.withSpan("DfoEmployees.list", { captureStackTrace: false })
    )

    const write = (
      id: string,
      fields: DfoPatch
    ): Effect.Effect<Option.Option<DfoEmployee>, SapUpdateError> =>
      Effect.suspend(() => {
        const method = settings.updateMethod
        if (!isEmployeeId(id)) {
          return Effect.zipRight(
            DfoMetrics.failed(method),
            new SapUpdateError({ sapId: id, attempts: 0, reason: notSent })
          )
        }
        const body: Record<string, string> = {}
        for (const field of WRITE_FIELDS) {
          const value = fields[field]
          if (value !== undefined) body[field] = value
        }
        if (Object.keys(body).length === 0) return Effect.succeed(Option.none<DfoEmployee>())
        return Effect.annotateCurrentSpan("method", method).pipe(
          Effect.zipRight(
            call(
              method,
              employeePath(id),
              (response) =>
                Effect.flatMap(readAnswer(response, settings.maxEmployeeBytes), (answer) =>
                  answer.status === 200 || answer.status === 204
                    ? writtenEmployee(id, answer)
                    : refuse(answer)
                ),
              JSON.stringify(body)
            )
          ),
          Effect.mapError(toError(SapUpdateError, id))
        )
      }).pipe(Effect.withSpan("DfoEmployees.write", { captureStackTrace: false }))

    const probePath = employeePath("00000000")
    const probe = Effect.gen(function* () {
      const fail = (reason: string, status?: number, faultText?: string) =>
        new SapFetchError({ sapId: "00000000", status, faultText, attempts: 1, reason })
      // A request to DFØ like any other: /metrics counts what DFØ received.
      const answer = yield* send("GET", probePath, undefined, (response) =>
        readAnswer(response, MiB)
      ).pipe(
        DfoMetrics.measured("GET", false),
        Effect.timeoutFail({
          duration: timeout,
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
    }).pipe(Effect.withSpan("DfoEmployees.probe"))

    return DfoEmployees.of({
      endpoint: `${settings.base.origin}${basePath}`,
      get,
      list: () => list,
      write,
      retrySchedule: retryPolicy,
      probe: () => probe
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
  Layer.scoped(DfoEmployees, Effect.zipRight(DfoMetrics.zeros, make(options)))

/** A client from the environment's SAP_* settings (CONTRACT §6). */
export const layerConfig: Layer.Layer<DfoEmployees, ConfigError.ConfigError> = Layer.scoped(
  DfoEmployees,
  Effect.zipRight(DfoMetrics.zeros, Effect.flatMap(config, make))
)
