// The emulator's public shape: its options, the running emulator, and what scripts, hooks
// and the request log hold. `startEmulator` (EmulatorServer.ts) implements it.
import type { IncomingHttpHeaders } from "node:http"
import type { Employee } from "./Employee.js"
import type { Faults, FaultsUpdate } from "./Faults.js"

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
  /**
   * Relative to the base path: `""` is the list, `"/00100001"` one employee (matching
   * `/100001` too). Any when left out.
   */
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
  /** Arrival, milliseconds since the epoch, to the microsecond (`performance.timeOrigin + now()`). */
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
  /** Back to the starting employees, keys, switches and seed; clears scripts, rules and the log. */
  reset(): void
}

export const DEFAULT_BASE_PATH = "/dfo/ansatte/v2"
export const DEFAULT_ADMIN_PATH = "/__admin"
export const DEFAULT_API_KEY = "dfo-emulator-key"
