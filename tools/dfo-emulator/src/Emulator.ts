import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse
} from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { type Employee, loadEmployeesFile } from "./Employee.js"
import { handleAdmin } from "./internal/admin.js"
import { isUnder, parseJson, readBody, writeResponse } from "./internal/http.js"
import { canonicalId, canonicalPath } from "./internal/ids.js"
import { makeRng } from "./internal/Rng.js"
import { TokenBucket } from "./internal/TokenBucket.js"
import { validateWrite } from "./internal/validateWrite.js"

/** The gateway's rate limit: `rps` requests a second, with up to `burst` (default `rps`) at once. */
export interface RateLimit {
  readonly rps: number
  readonly burst?: number
}

/** The switches of the emulator. Every share is a probability from 0 to 1. */
export interface Faults {
  /** Added to every answer under the base path, in milliseconds. */
  readonly latencyMs: number
  /** A uniformly random extra of 0..jitterMs milliseconds. */
  readonly jitterMs: number
  /** `429` with `Retry-After` (seconds) once the bucket is empty; `null` for no limit. */
  readonly rateLimit: RateLimit | null
  /** Share of requests answered `503`. */
  readonly errorRate: number
  /** Share of requests answered `429` with `Retry-After: retryAfterSeconds`, bucket or not. */
  readonly tooManyRate: number
  /** The `Retry-After` of `tooManyRate` answers; a fraction (not HTTP, but read) keeps tests fast. */
  readonly retryAfterSeconds: number
  /** Share of requests never answered (until the client gives up or the emulator stops). */
  readonly stallRate: number
  /** Share of requests whose connection is destroyed without an answer. */
  readonly resetRate: number
  /** What a successful write answers: `200` with the employee as it now is (DFØ's way), or `204`. */
  readonly writeStatus: 200 | 204
  /** Answer one employee as `{"ansatt":{...}}` (an older DFØ form) instead of a one-element list. */
  readonly ansattAsObject: boolean
  /**
   * Let `PATCH` through and treat it like `PUT`. Off by default: DFØ's gateway plans list only
   * `GET` and `PUT`, so it answers `PATCH` with `405`.
   */
  readonly acceptPatch: boolean
}

/** A change of switches; `seed` restarts the random draws from that seed. */
export type FaultsUpdate = { readonly [K in keyof Faults]?: Faults[K] } & {
  readonly seed?: number
  /** @deprecated the old name of `writeStatus`. */
  readonly patchStatus?: 200 | 204
}

/** What a gateway plan lets a key do: `read-only` plans list only `GET`. */
export type KeyPlan = "read-write" | "read-only"

/** An API key the gateway knows, with its plan. */
export interface ApiKey {
  readonly key: string
  readonly plan: KeyPlan
}

/** An answer chosen by a script or a hook instead of the emulator's own. */
export interface Reply {
  /** Default 200. */
  readonly status?: number
  /** JSON-encoded, except a string, which is sent as it is (for malformed bodies). */
  readonly body?: unknown
  /** Shortcut for `body: {"standard":{"faultText": ...}}`. */
  readonly faultText?: string
  readonly headers?: Readonly<Record<string, string>>
  /** Wait this long before answering. */
  readonly delayMs?: number
  /** Never answer. */
  readonly stall?: boolean
  /** Destroy the connection without an answer. */
  readonly reset?: boolean
  /** Send the body in chunks without `Content-Length`, as a streaming gateway may. */
  readonly chunked?: boolean
}

/** A scripted answer for the next `times` (default 1) requests matching `method` and `path`. */
export interface ScriptedResponse extends Reply {
  /** Any method when left out. */
  readonly method?: string
  /** Relative to the base path: `""` is the list, `"/00100001"` one employee. Any when left out. */
  readonly path?: string
  readonly times?: number
}

/** After the next `times` (default 1) answered requests matching, merge `set` into employee `id`. */
export interface MutateAfter {
  readonly method?: string
  readonly path?: string
  readonly times?: number
  readonly id: string
  readonly set: Readonly<Record<string, unknown>>
}

/** A request as hooks see it. */
export interface EmulatorRequest {
  readonly seq: number
  readonly method: string
  /** Relative to the base path (`""`, `"/00100001"`), or the whole path when outside it. */
  readonly path: string
  /** The request target as sent, query included. */
  readonly url: string
  readonly headers: IncomingHttpHeaders
  /** The parsed JSON body, the raw text when it is not JSON, `undefined` when empty. */
  readonly body: unknown
}

export interface ResponseInfo {
  readonly status: number | undefined
  /** The client closed the connection before an answer. */
  readonly aborted: boolean
}

/** Runs before the emulator answers; returning a `Reply` answers with it instead. */
export type RequestHook = (
  request: EmulatorRequest,
  emulator: Emulator
) => Reply | undefined | void | Promise<Reply | undefined | void>

/** Runs once a request is over (answered, stalled and given up, or reset). */
export type ResponseHook = (
  request: EmulatorRequest,
  response: ResponseInfo,
  emulator: Emulator
) => void

export interface Hooks {
  readonly onRequest?: RequestHook | undefined
  readonly afterResponse?: ResponseHook | undefined
}

/** One request in the log. */
export interface LogEntry {
  readonly seq: number
  /** Arrival, milliseconds since the epoch. */
  readonly time: number
  readonly method: string
  /** The path as requested (base path included), without the query. */
  readonly path: string
  /** `undefined` while unanswered, and for stalled, aborted and reset requests. */
  readonly status: number | undefined
  /** The request body (parsed JSON, or the raw text when it is not JSON), e.g. a PUT's fields. */
  readonly body?: unknown
  /** Arrival to end; `undefined` while in flight. */
  readonly durationMs: number | undefined
  readonly stalled: boolean
  readonly aborted: boolean
  readonly reset: boolean
}

export interface EmulatorStats {
  readonly requests: number
  readonly byMethod: Readonly<Record<string, number>>
  readonly byStatus: Readonly<Record<string, number>>
  readonly stalled: number
  readonly aborted: number
  readonly resets: number
  readonly inFlight: number
  readonly maxInFlight: number
  /** When counting started (start or last `resetLog`), milliseconds since the epoch. */
  readonly since: number
}

export interface EmulatorOptions {
  /** Default 0 (a free port). */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** Default `/dfo/ansatte/v2`. */
  readonly basePath?: string
  /** Default `/__admin`. */
  readonly adminPath?: string
  /** One read-write `X-Gravitee-Api-Key`. Default `dfo-emulator-key` (unless `apiKeys` is given). */
  readonly apiKey?: string
  /** The keys the gateway knows, each with its plan; added to `apiKey` when both are given. */
  readonly apiKeys?: ReadonlyArray<ApiKey>
  readonly employees?: Iterable<Employee>
  /** A JSON file holding `{"ansatt":[...]}` or an array of employees; added after `employees`. */
  readonly dataFile?: string
  readonly faults?: FaultsUpdate
  /** Seed of the random draws (jitter, error, 429, stall and reset shares). Default 1. */
  readonly seed?: number
  /** Most log entries kept; older ones are dropped. Default 100 000. */
  readonly logLimit?: number
  readonly onRequest?: RequestHook
  readonly afterResponse?: ResponseHook
}

/** A running emulator. */
export interface Emulator {
  /** The employee collection URL, e.g. `http://127.0.0.1:41234/dfo/ansatte/v2`. */
  readonly baseUrl: string
  /** `http://host:port`. */
  readonly origin: string
  /** The admin endpoint's URL, e.g. `http://127.0.0.1:41234/__admin`. */
  readonly adminUrl: string
  readonly port: number
  /** The first read-write key (the one `environment` carries). */
  readonly apiKey: string
  readonly basePath: string
  /** The writeback's `SAP_ANSATT_BASE_URL` and `SAP_API_KEY` for this emulator. */
  readonly environment: Readonly<Record<string, string>>
  /** Closes the server and every connection, stalled ones included. */
  stop(): Promise<void>
  /** The keys the gateway knows, with their plans. */
  apiKeys(): ReadonlyArray<ApiKey>
  /** Replaces the known keys; `apiKey` and `environment` keep their value. */
  setApiKeys(keys: ReadonlyArray<ApiKey>): void
  faults(): Faults
  setFaults(update: FaultsUpdate): void
  script(...responses: ReadonlyArray<ScriptedResponse>): void
  clearScripts(): void
  /** Scripted answers not yet used. */
  pendingScripts(): number
  mutateAfter(rule: MutateAfter): void
  setHooks(hooks: Hooks): void
  log(): ReadonlyArray<LogEntry>
  stats(): EmulatorStats
  resetLog(): void
  /** An employee by id, with or without leading zeros (`30202` finds `00030202`). */
  employee(id: string): Employee | undefined
  employees(): ReadonlyArray<Employee>
  /** Adds or replaces an employee as given (a numeric id stored with 8 digits). */
  setEmployee(employee: Employee): void
  /** Merges `fields` into an employee (`undefined` removes a field); `undefined` when no such id. */
  updateEmployee(id: string, fields: Readonly<Record<string, unknown>>): Employee | undefined
  deleteEmployee(id: string): boolean
  replaceEmployees(employees: Iterable<Employee>): void
  /** Back to the starting employees, switches and seed; clears scripts, rules and the log. */
  reset(): void
}

export const DEFAULT_BASE_PATH = "/dfo/ansatte/v2"
export const DEFAULT_ADMIN_PATH = "/__admin"
export const DEFAULT_API_KEY = "dfo-emulator-key"

const NO_FAULTS: Faults = {
  latencyMs: 0,
  jitterMs: 0,
  rateLimit: null,
  errorRate: 0,
  tooManyRate: 0,
  retryAfterSeconds: 1,
  stallRate: 0,
  resetRate: 0,
  writeStatus: 200,
  ansattAsObject: false,
  acceptPatch: false
}

const MAX_REQUEST_BODY = 64 * 1024
const GATEWAY_NOT_FOUND = JSON.stringify({
  message: "No context-path matches the request URI.",
  http_status_code: 404
})
const UNAUTHORIZED = JSON.stringify({ message: "Unauthorized", http_status_code: 401 })
// What Gravitee answers to a method the key's plan does not list: it never reaches DFØ.
const METHOD_NOT_ALLOWED = JSON.stringify({ message: "Method Not Allowed", http_status_code: 405 })
const UNAVAILABLE = JSON.stringify({ message: "Service Unavailable", http_status_code: 503 })

const rateLimited = (rps: number) =>
  JSON.stringify({
    message: `Rate limit exceeded ! You reach the limit of ${rps} requests per 1 seconds`,
    http_status_code: 429
  })

const fault = (faultText: string) => JSON.stringify({ standard: { faultText } })
const notEmployed = (id: string) => fault(`IKKE ANSATT ${id}`)

const normalizePrefix = (path: string): string => {
  const withSlash = path.startsWith("/") ? path : `/${path}`
  return withSlash.length > 1 && withSlash.endsWith("/") ? withSlash.slice(0, -1) : withSlash
}

const share = (name: string, value: number): number => {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new RangeError(`${name} must be between 0 and 1, got ${value}`)
  }
  return value
}

const nonNegative = (name: string, value: number): number => {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a number >= 0, got ${value}`)
  }
  return value
}

const text = (value: unknown) => (typeof value === "string" ? value.trim() : "")

/** `current` with `update` applied; the deprecated `patchStatus` sets `writeStatus`. */
const applyUpdate = (current: Faults, update: Omit<FaultsUpdate, "seed">): Faults => {
  const { patchStatus, ...rest } = update
  return {
    ...current,
    ...(patchStatus === undefined ? {} : { writeStatus: patchStatus }),
    ...rest
  } as Faults
}

const checkFaults = (faults: Faults): Faults => {
  nonNegative("latencyMs", faults.latencyMs)
  nonNegative("jitterMs", faults.jitterMs)
  share("errorRate", faults.errorRate)
  share("tooManyRate", faults.tooManyRate)
  nonNegative("retryAfterSeconds", faults.retryAfterSeconds)
  share("stallRate", faults.stallRate)
  share("resetRate", faults.resetRate)
  if (faults.errorRate + faults.tooManyRate + faults.stallRate + faults.resetRate > 1) {
    throw new RangeError("errorRate + tooManyRate + stallRate + resetRate must be at most 1")
  }
  if (faults.rateLimit !== null) {
    if (!(faults.rateLimit.rps > 0)) throw new RangeError("rateLimit.rps must be > 0")
    if (faults.rateLimit.burst !== undefined && !(faults.rateLimit.burst >= 1)) {
      throw new RangeError("rateLimit.burst must be >= 1")
    }
  }
  if (faults.writeStatus !== 200 && faults.writeStatus !== 204) {
    throw new RangeError("writeStatus must be 200 or 204")
  }
  return faults
}

interface MutableEntry {
  seq: number
  time: number
  method: string
  path: string
  status: number | undefined
  body?: unknown
  durationMs: number | undefined
  stalled: boolean
  aborted: boolean
  reset: boolean
}

interface Counters {
  requests: number
  byMethod: Record<string, number>
  byStatus: Record<string, number>
  stalled: number
  aborted: number
  resets: number
  maxInFlight: number
  since: number
}

const newCounters = (): Counters => ({
  requests: 0,
  byMethod: {},
  byStatus: {},
  stalled: 0,
  aborted: 0,
  resets: 0,
  maxInFlight: 0,
  since: Date.now()
})

interface Rule<A> {
  readonly method: string | undefined
  readonly path: string | undefined
  remaining: number
  readonly value: A
}

/** An error an admin request caused: answered `400` with its message. */

/**
 * Starts a DFØ employee API emulator (CONTRACT §3) on loopback. Resolves once it listens.
 */
export const startEmulator = async (options: EmulatorOptions = {}): Promise<Emulator> => {
  const basePath = normalizePrefix(options.basePath ?? DEFAULT_BASE_PATH)
  const adminPath = normalizePrefix(options.adminPath ?? DEFAULT_ADMIN_PATH)
  if (isUnder(adminPath, basePath) || isUnder(basePath, adminPath)) {
    throw new Error(`the admin path ${adminPath} and the base path ${basePath} overlap`)
  }
  const initialKeys: ReadonlyArray<ApiKey> = [
    ...(options.apiKey !== undefined || options.apiKeys === undefined
      ? [{ key: options.apiKey ?? DEFAULT_API_KEY, plan: "read-write" as const }]
      : []),
    ...(options.apiKeys ?? [])
  ]
  const apiKey = initialKeys.find((k) => k.plan === "read-write")?.key ?? initialKeys[0]?.key ?? ""
  const host = options.host ?? "127.0.0.1"
  const logLimit = options.logLimit ?? 100_000

  const initialEmployees: Array<Employee> = [...(options.employees ?? [])]
  if (options.dataFile !== undefined) {
    // One by one: spreading 200 000 arguments into push overflows the stack.
    for (const employee of await loadEmployeesFile(options.dataFile)) {
      initialEmployees.push(employee)
    }
  }
  const { seed: initialSeedOverride, ...initialFaultUpdate } = options.faults ?? {}
  const initialSeed = initialSeedOverride ?? options.seed ?? 1
  const initialFaults = checkFaults(applyUpdate(NO_FAULTS, initialFaultUpdate))

  // State. The list answer is serialised once per change of the employees.
  const employees = new Map<string, Employee>()
  let listCache: Buffer | undefined
  let faults = initialFaults
  let keys = new Map(initialKeys.map((k) => [k.key, k.plan]))
  let random = makeRng(initialSeed)
  let bucket: TokenBucket | undefined
  let scripts: Array<Rule<Reply>> = []
  let mutations: Array<Rule<Readonly<Record<string, unknown>>> & { readonly id: string }> = []
  let hooks: Hooks = { onRequest: options.onRequest, afterResponse: options.afterResponse }
  let log: Array<MutableEntry> = []
  let counters = newCounters()
  let seq = 0
  let inFlight = 0
  let closed = false

  const sockets = new Set<Socket>()
  const stalled = new Set<ServerResponse>()
  const sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>()

  const resetBucket = () => {
    bucket =
      faults.rateLimit === null
        ? undefined
        : new TokenBucket(faults.rateLimit.rps, faults.rateLimit.burst ?? faults.rateLimit.rps)
  }
  resetBucket()

  // Stored under the 8-digit id, which the employee object then carries too.
  const stored = (employee: Employee): Employee => {
    const id = canonicalId(employee.id)
    return id === employee.id ? employee : { ...employee, id }
  }

  const replaceAll = (list: Iterable<Employee>) => {
    employees.clear()
    for (const e of list) {
      const s = stored(e)
      employees.set(s.id, s)
    }
    listCache = undefined
  }
  replaceAll(initialEmployees)

  const setEmployee = (employee: Employee) => {
    if (typeof employee.id !== "string" || employee.id === "") {
      throw new TypeError("an employee needs a non-empty string id")
    }
    const s = stored(employee)
    employees.set(s.id, s)
    listCache = undefined
  }

  const updateEmployee = (anyId: string, fields: Readonly<Record<string, unknown>>) => {
    const id = canonicalId(anyId)
    const current = employees.get(id)
    if (current === undefined) return undefined
    const next: Record<string, unknown> = { ...current }
    for (const [key, value] of Object.entries(fields)) {
      if (key === "id") continue
      if (value === undefined) delete next[key]
      else next[key] = value
    }
    const updated = next as Employee
    employees.set(id, updated)
    listCache = undefined
    return updated
  }

  const listBody = (): Buffer => {
    if (listCache === undefined) {
      listCache = Buffer.from(JSON.stringify({ ansatt: [...employees.values()] }))
    }
    return listCache
  }

  const setFaults = (update: FaultsUpdate) => {
    const { seed, ...rest } = update
    const next = checkFaults(applyUpdate(faults, rest))
    const limitChanged = JSON.stringify(next.rateLimit) !== JSON.stringify(faults.rateLimit)
    faults = next
    if (limitChanged) resetBucket()
    if (seed !== undefined) random = makeRng(seed)
  }

  // Rules name an employee with or without leading zeros, as requests may.
  const relativePath = (path: string) =>
    canonicalPath(isUnder(path, basePath) ? path.slice(basePath.length) : path)

  const matches = (
    rule: { method: string | undefined; path: string | undefined },
    method: string,
    path: string
  ) =>
    (rule.method === undefined || rule.method === method) &&
    (rule.path === undefined || rule.path === canonicalPath(path))

  const script = (...responses: ReadonlyArray<ScriptedResponse>) => {
    for (const { method, path, times, ...reply } of responses) {
      scripts.push({
        method: method?.toUpperCase(),
        path: path === undefined ? undefined : relativePath(path),
        remaining: times ?? 1,
        value: reply
      })
    }
  }

  const takeScript = (method: string, path: string): Reply | undefined => {
    const index = scripts.findIndex((rule) => matches(rule, method, path))
    if (index === -1) return undefined
    const rule = scripts[index] as Rule<Reply>
    rule.remaining -= 1
    if (rule.remaining <= 0) scripts.splice(index, 1)
    return rule.value
  }

  const mutateAfter = (rule: MutateAfter) => {
    mutations.push({
      method: rule.method?.toUpperCase(),
      path: rule.path === undefined ? undefined : relativePath(rule.path),
      remaining: rule.times ?? 1,
      value: rule.set,
      id: rule.id
    })
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          sleepers.delete(sleeper)
          resolve()
        }, ms),
        wake: resolve
      }
      sleepers.add(sleeper)
    })

  const resetLog = () => {
    log = []
    counters = newCounters()
  }

  const snapshot = (entry: MutableEntry): LogEntry => ({ ...entry })

  const stats = (): EmulatorStats => ({
    requests: counters.requests,
    byMethod: { ...counters.byMethod },
    byStatus: { ...counters.byStatus },
    stalled: counters.stalled,
    aborted: counters.aborted,
    resets: counters.resets,
    inFlight,
    maxInFlight: counters.maxInFlight,
    since: counters.since
  })

  const reset = () => {
    replaceAll(initialEmployees)
    faults = initialFaults
    keys = new Map(initialKeys.map((k) => [k.key, k.plan]))
    random = makeRng(initialSeed)
    resetBucket()
    scripts = []
    mutations = []
    hooks = { onRequest: options.onRequest, afterResponse: options.afterResponse }
    resetLog()
  }

  // --- the employee API --------------------------------------------------------------------

  const send = (
    res: ServerResponse,
    entry: MutableEntry,
    status: number,
    payload: string | Buffer | undefined,
    headers?: Readonly<Record<string, string>>
  ) => {
    if (res.headersSent || res.destroyed) return
    entry.status = status
    const key = String(status)
    counters.byStatus[key] = (counters.byStatus[key] ?? 0) + 1
    writeResponse(res, status, payload, headers)
  }

  const perform = async (res: ServerResponse, entry: MutableEntry, reply: Reply) => {
    if (reply.delayMs !== undefined && reply.delayMs > 0) {
      await sleep(reply.delayMs)
      if (closed || res.destroyed) return
    }
    if (reply.reset === true) {
      entry.reset = true
      counters.resets += 1
      res.socket?.destroy()
      return
    }
    if (reply.stall === true) {
      entry.stalled = true
      counters.stalled += 1
      stalled.add(res)
      return
    }
    const payload =
      reply.faultText !== undefined
        ? fault(reply.faultText)
        : reply.body === undefined
          ? undefined
          : typeof reply.body === "string"
            ? reply.body
            : JSON.stringify(reply.body)
    if (reply.chunked === true && payload !== undefined) {
      return sendChunked(res, entry, reply.status ?? 200, payload, reply.headers ?? {})
    }
    send(res, entry, reply.status ?? 200, payload, reply.headers)
  }

  const sendChunked = (
    res: ServerResponse,
    entry: MutableEntry,
    status: number,
    payload: string,
    headers: Readonly<Record<string, string>>
  ) => {
    entry.status = status
    const key = String(status)
    counters.byStatus[key] = (counters.byStatus[key] ?? 0) + 1
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers })
    const bytes = Buffer.from(payload)
    for (let at = 0; at < bytes.length; at += 64 * 1024) {
      res.write(bytes.subarray(at, at + 64 * 1024))
    }
    res.end()
  }

  /** One employee as DFØ answers it: a one-element list, or the older object form. */
  const oneEmployee = (employee: Employee) =>
    JSON.stringify({ ansatt: faults.ansattAsObject ? employee : [employee] })

  const serveEmployeeApi = (
    req: IncomingMessage,
    res: ServerResponse,
    entry: MutableEntry,
    rel: string,
    bodyText: string,
    plan: KeyPlan
  ) => {
    const method = req.method ?? "GET"
    // The gateway's plan: GET for every key, PUT (and PATCH when accepted) for read-write keys.
    const writes = method === "PUT" || (method === "PATCH" && faults.acceptPatch)
    if (method !== "GET" && !(writes && plan === "read-write")) {
      return send(res, entry, 405, METHOD_NOT_ALLOWED, {
        allow: plan === "read-write" ? "GET, PUT" : "GET"
      })
    }
    if (rel === "" || rel === "/") {
      if (method === "GET") return send(res, entry, 200, listBody())
      return send(res, entry, 405, METHOD_NOT_ALLOWED, { allow: "GET" })
    }
    const segment = rel.slice(1)
    if (segment.includes("/")) return send(res, entry, 404, GATEWAY_NOT_FOUND)
    let requested: string
    try {
      requested = decodeURIComponent(segment)
    } catch {
      return send(res, entry, 400, fault("Ugyldig ansattnummer"))
    }
    const id = canonicalId(requested)
    const employee = employees.get(id)
    if (employee === undefined) return send(res, entry, 404, notEmployed(requested))
    if (method === "GET") return send(res, entry, 200, oneEmployee(employee))
    const contentType = req.headers["content-type"] ?? ""
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      return send(res, entry, 415, fault("Content-Type må være application/json"))
    }
    const json = parseJson(bodyText)
    if (!json.ok) return send(res, entry, 400, fault("Ugyldig JSON i forespørselen"))
    const check = validateWrite(json.value)
    if (!check.ok) return send(res, entry, check.status, fault(check.faultText))
    const fields: Record<string, string | null> = { ...check.fields }
    // DFØ's own write-once rule: a brukerident once set is kept, and the write still succeeds.
    if ("brukerident" in fields && text(employee["brukerident"]) !== "") {
      delete fields["brukerident"]
    }
    const updated = updateEmployee(id, fields) as Employee
    if (faults.writeStatus === 204) return send(res, entry, 204, undefined)
    return send(res, entry, 200, oneEmployee(updated))
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? "/"
    const query = target.indexOf("?")
    const pathname = query === -1 ? target : target.slice(0, query)
    if (isUnder(pathname, adminPath))
      return handleAdmin(emulator, req, res, pathname.slice(adminPath.length))

    const method = req.method ?? "GET"
    const started = performance.now()
    const entry: MutableEntry = {
      seq: ++seq,
      time: Date.now(),
      method,
      path: pathname,
      status: undefined,
      durationMs: undefined,
      stalled: false,
      aborted: false,
      reset: false
    }
    log.push(entry)
    if (log.length > logLimit) log.splice(0, Math.ceil(logLimit / 10))
    counters.requests += 1
    counters.byMethod[method] = (counters.byMethod[method] ?? 0) + 1
    inFlight += 1
    if (inFlight > counters.maxInFlight) counters.maxInFlight = inFlight

    const under = isUnder(pathname, basePath)
    const rel = under ? pathname.slice(basePath.length) : pathname
    let request: EmulatorRequest = {
      seq: entry.seq,
      method,
      path: rel,
      url: target,
      headers: req.headers,
      body: undefined
    }
    res.on("close", () => {
      inFlight -= 1
      stalled.delete(res)
      entry.durationMs = performance.now() - started
      const answered = res.writableFinished
      if (!answered && !entry.reset) {
        entry.aborted = true
        counters.aborted += 1
      }
      if (answered && mutations.length > 0) {
        for (const rule of [...mutations]) {
          if (!matches(rule, method, rel)) continue
          rule.remaining -= 1
          if (rule.remaining <= 0) mutations = mutations.filter((r) => r !== rule)
          updateEmployee(rule.id, rule.value)
        }
      }
      const after = hooks.afterResponse
      if (after !== undefined) {
        try {
          after(request, { status: entry.status, aborted: entry.aborted }, emulator)
        } catch (error) {
          console.error("dfo-emulator: afterResponse hook failed:", error)
        }
      }
    })

    const body = await readBody(req, MAX_REQUEST_BODY)
    if (!body.ok) {
      if (body.reason === "too-large") {
        res.shouldKeepAlive = false
        send(res, entry, 413, fault("Forespørselen er for stor"), { connection: "close" })
      }
      return
    }
    if (body.text !== "") {
      const json = parseJson(body.text)
      entry.body = json.ok ? json.value : body.text
      request = { ...request, body: entry.body }
    }
    if (!under) return send(res, entry, 404, GATEWAY_NOT_FOUND)

    const delay =
      faults.latencyMs + (faults.jitterMs > 0 ? Math.floor(random() * (faults.jitterMs + 1)) : 0)
    if (delay > 0) {
      await sleep(delay)
      if (closed || res.destroyed) return
    }

    const hook = hooks.onRequest
    if (hook !== undefined) {
      const replacement = await hook(request, emulator)
      if (closed || res.destroyed) return
      if (replacement !== undefined) return perform(res, entry, replacement)
    }
    const scripted = scripts.length > 0 ? takeScript(method, rel) : undefined
    if (scripted !== undefined) return perform(res, entry, scripted)

    const key = req.headers["x-gravitee-api-key"]
    const plan = typeof key === "string" ? keys.get(key) : undefined
    if (plan === undefined) return send(res, entry, 401, UNAUTHORIZED)
    if (bucket !== undefined) {
      const token = bucket.take()
      if (!token.ok) {
        return send(res, entry, 429, rateLimited(bucket.rps), {
          "retry-after": String(Math.max(1, Math.ceil(token.waitMs / 1000))),
          "x-rate-limit-limit": String(bucket.rps)
        })
      }
    }
    const { errorRate, tooManyRate, stallRate, resetRate } = faults
    const anyShare = errorRate + tooManyRate + stallRate + resetRate
    if (anyShare > 0) {
      const draw = random()
      if (draw < errorRate) return send(res, entry, 503, UNAVAILABLE)
      if (draw < errorRate + tooManyRate) {
        return send(res, entry, 429, rateLimited(faults.rateLimit?.rps ?? 1), {
          "retry-after": String(faults.retryAfterSeconds)
        })
      }
      if (draw < errorRate + tooManyRate + stallRate) return perform(res, entry, { stall: true })
      if (draw < anyShare) return perform(res, entry, { reset: true })
    }
    return serveEmployeeApi(req, res, entry, rel, body.text, plan)
  }

  // --- the admin endpoint ------------------------------------------------------------------

  // --- the server --------------------------------------------------------------------------

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error("dfo-emulator: request failed:", error)
      writeResponse(res, 500, fault("Intern feil i emulatoren"))
    })
  })
  server.keepAliveTimeout = 30_000
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const urlHost =
    host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host
  const origin = `http://${urlHost}:${port}`

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= new Promise<void>((resolve) => {
      closed = true
      for (const sleeper of sleepers) {
        clearTimeout(sleeper.timer)
        sleeper.wake()
      }
      sleepers.clear()
      server.close(() => resolve())
      server.closeAllConnections()
      for (const socket of sockets) socket.destroy()
    })
    return stopping
  }

  const emulator: Emulator = {
    baseUrl: `${origin}${basePath}`,
    origin,
    adminUrl: `${origin}${adminPath}`,
    port,
    apiKey,
    basePath,
    environment: { SAP_ANSATT_BASE_URL: `${origin}${basePath}`, SAP_API_KEY: apiKey },
    stop,
    apiKeys: () => [...keys].map(([key, plan]) => ({ key, plan })),
    setApiKeys: (next) => {
      for (const k of next) {
        if (typeof k.key !== "string" || k.key === "")
          throw new RangeError("a key must be a non-empty string")
        if (k.plan !== "read-write" && k.plan !== "read-only") {
          throw new RangeError(`a key's plan is read-write or read-only, got ${String(k.plan)}`)
        }
      }
      keys = new Map(next.map((k) => [k.key, k.plan]))
    },
    faults: () => faults,
    setFaults,
    script,
    clearScripts: () => {
      scripts = []
    },
    pendingScripts: () => scripts.reduce((n, rule) => n + rule.remaining, 0),
    mutateAfter,
    setHooks: (next) => {
      hooks = { ...hooks, ...next }
    },
    log: () => log.map(snapshot),
    stats,
    resetLog,
    employee: (id) => employees.get(canonicalId(id)),
    employees: () => [...employees.values()],
    setEmployee,
    updateEmployee,
    deleteEmployee: (id) => {
      const deleted = employees.delete(canonicalId(id))
      if (deleted) listCache = undefined
      return deleted
    },
    replaceEmployees: replaceAll,
    reset
  }
  return emulator
}
