import { secretConfig } from "@dfo-writeback/domain"
import { Config, Redacted } from "effect"
import type * as HttpProxy from "./HttpProxy.js"
import { config as proxyConfig } from "./HttpProxy.js"
import { isHttpUrl } from "./internal/HttpUrl.js"

/** How a write is sent. DFØ's gateway plans list `GET` and `PUT`; `PATCH` is for other gateways. */
export type UpdateMethod = "PUT" | "PATCH"

/** Settings of the DFØ client; `config` reads them from CONTRACT §6's variables. */
export interface DfoEmployeesOptions {
  /** The employee collection, e.g. `https://gw.example.no/dfo/ansatte/v2`. */
  readonly baseUrl: string
  /** The gateway key. */
  readonly apiKey: Redacted.Redacted<string> | string
  /** Requests a second over all callers; `Infinity` for no limit. */
  readonly maxRps?: number
  /** Requests that may go at once after a quiet spell. */
  readonly burst?: number
  /**
   * Per attempt, body included. The list's body, read and decoded as it arrives, may take
   * longer but never pause for longer than this.
   */
  readonly timeoutMs?: number
  /** Retries of transient failures. */
  readonly maxRetries?: number
  /** First backoff delay, doubled each retry, with jitter. */
  readonly retryBaseMs?: number
  /** Longest backoff delay. A longer `Retry-After` still wins. */
  readonly retryMaxDelayMs?: number
  /** A `Retry-After` longer than this ends the retries at once. */
  readonly maxRetryAfterMs?: number
  /** Largest body of the list. */
  readonly maxListBytes?: number
  /** Largest body of any other answer. */
  readonly maxEmployeeBytes?: number
  /** Most connections kept to DFØ. */
  readonly connections?: number
  /** HTTPS_PROXY / HTTP_PROXY / NO_PROXY (`HttpProxy.config`). Default: DFØ is reached directly. */
  readonly proxy?: HttpProxy.ProxySettings
  /** The write method: `PUT` (CONTRACT §3) or `PATCH`. */
  readonly updateMethod?: UpdateMethod
}

/** One setting: the variable that sets it (if any), its default (if any), what it means. */
export interface Setting<A> {
  readonly env: string | undefined
  readonly default: A | undefined
  readonly meaning: string
  readonly secret?: true
}

const MiB = 1024 * 1024

/**
 * Every setting of the client and its default, in one place: `resolve` and `config` read
 * their defaults from here and nowhere else.
 */
export const settings = {
  baseUrl: {
    env: "SAP_ANSATT_BASE_URL",
    default: undefined,
    meaning: "DFØ employee collection URL"
  } satisfies Setting<string>,
  apiKey: {
    env: "SAP_API_KEY",
    default: undefined,
    meaning: "IntArk/Gravitee key (X-Gravitee-Api-Key)",
    secret: true
  } satisfies Setting<string>,
  maxRps: {
    env: "SAP_MAX_RPS",
    default: 10,
    meaning: "client-side request rate limit towards DFØ, requests a second"
  } satisfies Setting<number>,
  burst: {
    env: undefined,
    default: undefined,
    meaning:
      "requests that may go at once after a quiet spell; unset: one second's worth, at least 1"
  } satisfies Setting<number>,
  timeoutMs: {
    env: "SAP_TIMEOUT_MS",
    default: 10_000,
    meaning: "each DFØ request; the list's body may take longer, but never pause for longer"
  } satisfies Setting<number>,
  maxRetries: {
    env: "SAP_MAX_RETRIES",
    default: 4,
    meaning: "retries of transient answers (429, 502-504, timeouts), with backoff and Retry-After"
  } satisfies Setting<number>,
  retryBaseMs: {
    env: "SAP_RETRY_BASE_MS",
    default: 200,
    meaning: "first backoff delay, doubled each retry, with jitter"
  } satisfies Setting<number>,
  retryMaxDelayMs: {
    env: undefined,
    default: 30_000,
    meaning: "longest backoff delay; a longer Retry-After still wins"
  } satisfies Setting<number>,
  maxRetryAfterMs: {
    env: undefined,
    default: 120_000,
    meaning: "a Retry-After longer than this ends the retries at once"
  } satisfies Setting<number>,
  maxListBytes: {
    env: "SAP_MAX_LIST_BYTES",
    default: 512 * MiB,
    meaning: "largest body of the employee list (GET {base})"
  } satisfies Setting<number>,
  maxEmployeeBytes: {
    env: undefined,
    default: MiB,
    meaning: "largest body of any other answer"
  } satisfies Setting<number>,
  connections: {
    env: undefined,
    default: 64,
    meaning: "most connections kept to DFØ"
  } satisfies Setting<number>,
  updateMethod: {
    env: "SAP_UPDATE_METHOD",
    default: "PUT",
    meaning: "the method of a write: PUT (DFØ's API) or PATCH (only for a gateway that lists it)"
  } satisfies Setting<UpdateMethod>
} as const

/** The options with every default filled in. */
export interface Resolved {
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
  readonly proxy: HttpProxy.ProxySettings | undefined
  readonly updateMethod: UpdateMethod
}

/** Fills in the defaults; throws on a base URL that is not http(s) (a programming error). */
export const resolve = (options: DfoEmployeesOptions): Resolved => {
  const base = new URL(options.baseUrl)
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new TypeError(`the DFØ base URL must be http(s), got ${base.protocol}`)
  }
  const maxRps = options.maxRps ?? settings.maxRps.default
  return {
    base,
    apiKey: typeof options.apiKey === "string" ? Redacted.make(options.apiKey) : options.apiKey,
    maxRps,
    burst: options.burst ?? (Number.isFinite(maxRps) ? Math.max(1, Math.floor(maxRps)) : 1),
    timeoutMs: options.timeoutMs ?? settings.timeoutMs.default,
    maxRetries: options.maxRetries ?? settings.maxRetries.default,
    retryBaseMs: options.retryBaseMs ?? settings.retryBaseMs.default,
    retryMaxDelayMs: options.retryMaxDelayMs ?? settings.retryMaxDelayMs.default,
    maxRetryAfterMs: options.maxRetryAfterMs ?? settings.maxRetryAfterMs.default,
    maxListBytes: options.maxListBytes ?? settings.maxListBytes.default,
    maxEmployeeBytes: options.maxEmployeeBytes ?? settings.maxEmployeeBytes.default,
    connections: options.connections ?? settings.connections.default,
    proxy: options.proxy,
    updateMethod: options.updateMethod ?? settings.updateMethod.default
  }
}

type Numeric = {
  readonly [K in keyof typeof settings]: (typeof settings)[K] extends {
    env: string
    default: number
  }
    ? K
    : never
}[keyof typeof settings]

const atLeast = (key: Numeric, min: number, read = Config.integer) => {
  const { env, default: fallback } = settings[key]
  return read(env).pipe(
    Config.validate({
      message: `${env} must be ${min === 0 ? "0 or more" : "greater than 0"}`,
      validation: (n) => (min === 0 ? n >= 0 : n > 0)
    }),
    Config.withDefault(fallback)
  )
}

/** Node.js timers overflow above 2^31 − 1 ms and then fire at once. */
const maxTimerMs = 2_147_483_647

const milliseconds = (key: Numeric, min: number) =>
  atLeast(key, min).pipe(
    Config.validate({
      message: `${settings[key].env} must be at most ${maxTimerMs} ms`,
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
  baseUrl: Config.string(settings.baseUrl.env).pipe(
    Config.validate({
      message: `${settings.baseUrl.env} must be an http(s) URL`,
      validation: isHttpUrl
    })
  ),
  apiKey: secretConfig(settings.apiKey.env).pipe(
    // The message never shows the key itself.
    Config.validate({
      message:
        `${settings.apiKey.env} cannot be sent as an HTTP header value (control characters, ` +
        "non-ASCII or surrounding whitespace)",
      validation: (key) => headerSafe.test(Redacted.value(key))
    })
  ),
  maxRps: atLeast("maxRps", 1, Config.number),
  timeoutMs: milliseconds("timeoutMs", 1),
  maxRetries: atLeast("maxRetries", 0),
  retryBaseMs: milliseconds("retryBaseMs", 1),
  maxListBytes: atLeast("maxListBytes", 1),
  updateMethod: Config.literal(
    "PUT",
    "PATCH"
  )(settings.updateMethod.env).pipe(Config.withDefault(settings.updateMethod.default)),
  proxy: proxyConfig
})
