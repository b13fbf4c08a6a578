import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { type Employee, loadEmployeesFile } from "./Employee.js"
import {
  type ApiKey,
  DEFAULT_ADMIN_PATH,
  DEFAULT_API_KEY,
  DEFAULT_BASE_PATH,
  type Emulator,
  type EmulatorOptions,
  type EmulatorRequest,
  type EmulatorStats,
  type Hooks,
  type KeyPlan,
  type LogEntry,
  type MutateAfter,
  type Reply,
  type ScriptedResponse
} from "./Emulator.js"
import { applyUpdate, type Faults, type FaultsUpdate, NO_FAULTS } from "./Faults.js"
import { handleAdmin } from "./internal/admin.js"
import { EmployeeStore } from "./internal/EmployeeStore.js"
import { FaultInjector } from "./internal/FaultInjector.js"
import { GatewayCache } from "./internal/GatewayCache.js"
import { type Answer, fault, GATEWAY_NOT_FOUND, UNAUTHORIZED } from "./internal/gateway.js"
import { isUnder, parseJson, readBody, writeResponse } from "./internal/http.js"
import { type OpenEntry, RequestLog } from "./internal/RequestLog.js"
import { serveEmployeeApi } from "./internal/routes.js"
import { RuleBook } from "./internal/RuleBook.js"

const MAX_REQUEST_BODY = 64 * 1024

const normalizePrefix = (path: string): string => {
  const withSlash = path.startsWith("/") ? path : `/${path}`
  return withSlash.length > 1 && withSlash.endsWith("/") ? withSlash.slice(0, -1) : withSlash
}

const checkKeys = (keys: ReadonlyArray<ApiKey>): ReadonlyArray<ApiKey> => {
  for (const k of keys) {
    if (typeof k.key !== "string" || k.key === "") {
      throw new RangeError("a key must be a non-empty string")
    }
    if (k.plan !== "read-write" && k.plan !== "read-only") {
      throw new RangeError(`a key's plan is read-write or read-only, got ${String(k.plan)}`)
    }
  }
  return keys
}

/** What `startEmulator` works out from its options before it listens. */
interface Settings {
  readonly basePath: string
  readonly adminPath: string
  readonly keys: ReadonlyArray<ApiKey>
  readonly employees: ReadonlyArray<Employee>
  readonly faults: Faults
  readonly seed: number
  readonly logLimit: number
  readonly hooks: Hooks
}

const settingsOf = async (options: EmulatorOptions): Promise<Settings> => {
  const basePath = normalizePrefix(options.basePath ?? DEFAULT_BASE_PATH)
  const adminPath = normalizePrefix(options.adminPath ?? DEFAULT_ADMIN_PATH)
  if (isUnder(adminPath, basePath) || isUnder(basePath, adminPath)) {
    throw new Error(`the admin path ${adminPath} and the base path ${basePath} overlap`)
  }
  const employees: Array<Employee> = [...(options.employees ?? [])]
  if (options.dataFile !== undefined) {
    // One by one: spreading 200 000 arguments into push overflows the stack.
    for (const employee of await loadEmployeesFile(options.dataFile)) employees.push(employee)
  }
  const { seed, ...faultUpdate } = options.faults ?? {}
  return {
    basePath,
    adminPath,
    keys: checkKeys([
      ...(options.apiKey !== undefined || options.apiKeys === undefined
        ? [{ key: options.apiKey ?? DEFAULT_API_KEY, plan: "read-write" as const }]
        : []),
      ...(options.apiKeys ?? [])
    ]),
    employees,
    faults: applyUpdate(NO_FAULTS, faultUpdate),
    seed: seed ?? options.seed ?? 1,
    logLimit: options.logLimit ?? 100_000,
    hooks: { onRequest: options.onRequest, afterResponse: options.afterResponse }
  }
}

/**
 * Starts a DFØ employee API emulator (CONTRACT §3) on loopback. Resolves once it listens.
 */
export const startEmulator = async (options: EmulatorOptions = {}): Promise<Emulator> => {
  const settings = await settingsOf(options)
  const emulator = new EmulatorServer(settings)
  await emulator.listen(options.port ?? 0, options.host ?? "127.0.0.1")
  return emulator
}

/** One running emulator: its state, the request pipeline and the HTTP server. */
class EmulatorServer implements Emulator {
  baseUrl = ""
  origin = ""
  adminUrl = ""
  port = 0
  readonly apiKey: string
  readonly basePath: string
  environment: Readonly<Record<string, string>> = {}

  private readonly store: EmployeeStore
  private readonly injector: FaultInjector
  private readonly requests: RequestLog
  private readonly cache = new GatewayCache()
  private readonly scripts = new RuleBook<Reply>()
  private readonly mutations = new RuleBook<MutateAfter>()
  private keys: Map<string, KeyPlan>
  private hooks: Hooks
  private closed = false
  private stopping: Promise<void> | undefined
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>()

  constructor(private readonly settings: Settings) {
    this.basePath = settings.basePath
    this.apiKey =
      settings.keys.find((k) => k.plan === "read-write")?.key ?? settings.keys[0]?.key ?? ""
    this.store = new EmployeeStore(settings.employees)
    this.injector = new FaultInjector(settings.faults, settings.seed)
    this.requests = new RequestLog(settings.logLimit)
    this.keys = new Map(settings.keys.map((k) => [k.key, k.plan]))
    this.hooks = settings.hooks
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        console.error("dfo-emulator: request failed:", error)
        writeResponse(res, 500, fault("Intern feil i emulatoren"))
      })
    })
    this.server.keepAliveTimeout = 30_000
    this.server.on("connection", (socket) => {
      this.sockets.add(socket)
      socket.on("close", () => this.sockets.delete(socket))
    })
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject)
      this.server.listen(port, host, () => {
        this.server.off("error", reject)
        resolve()
      })
    })
    this.port = (this.server.address() as AddressInfo).port
    const urlHost =
      host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host
    this.origin = `http://${urlHost}:${this.port}`
    this.baseUrl = `${this.origin}${this.basePath}`
    this.adminUrl = `${this.origin}${this.settings.adminPath}`
    this.environment = { SAP_ANSATT_BASE_URL: this.baseUrl, SAP_API_KEY: this.apiKey }
  }

  // --- the Emulator interface ------------------------------------------------------------

  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      this.closed = true
      for (const sleeper of this.sleepers) {
        clearTimeout(sleeper.timer)
        sleeper.wake()
      }
      this.sleepers.clear()
      this.server.close(() => resolve())
      this.server.closeAllConnections()
      for (const socket of this.sockets) socket.destroy()
    })
    return this.stopping
  }

  apiKeys(): ReadonlyArray<ApiKey> {
    return [...this.keys].map(([key, plan]) => ({ key, plan }))
  }

  setApiKeys(keys: ReadonlyArray<ApiKey>): void {
    this.keys = new Map(checkKeys(keys).map((k) => [k.key, k.plan]))
  }

  faults(): Faults {
    return this.injector.faults
  }

  setFaults(update: FaultsUpdate): void {
    this.injector.update(update)
    if (!this.injector.faults.gatewayCache) this.cache.clear()
  }

  script(...responses: ReadonlyArray<ScriptedResponse>): void {
    for (const { method, path, times, ...reply } of responses) {
      this.scripts.add({ method, path: path && this.relative(path), times, value: reply })
    }
  }

  clearScripts(): void {
    this.scripts.clear()
  }

  pendingScripts(): number {
    return this.scripts.pending()
  }

  mutateAfter(rule: MutateAfter): void {
    const path = rule.path === undefined ? undefined : this.relative(rule.path)
    this.mutations.add({ method: rule.method, path, times: rule.times, value: rule })
  }

  setHooks(hooks: Hooks): void {
    this.hooks = { ...this.hooks, ...hooks }
  }

  log(): ReadonlyArray<LogEntry> {
    return this.requests.list()
  }

  stats(): EmulatorStats {
    return this.requests.stats()
  }

  resetLog(): void {
    this.requests.clear()
  }

  employee(id: string): Employee | undefined {
    return this.store.get(id)
  }

  employees(): ReadonlyArray<Employee> {
    return this.store.all()
  }

  setEmployee(employee: Employee): void {
    this.store.set(employee)
  }

  updateEmployee(id: string, fields: Readonly<Record<string, unknown>>): Employee | undefined {
    return this.store.update(id, fields)
  }

  deleteEmployee(id: string): boolean {
    return this.store.delete(id)
  }

  replaceEmployees(employees: Iterable<Employee>): void {
    this.store.replaceAll(employees)
  }

  reset(): void {
    this.store.replaceAll(this.settings.employees)
    this.injector.restart(this.settings.faults, this.settings.seed)
    this.cache.clear()
    this.keys = new Map(this.settings.keys.map((k) => [k.key, k.plan]))
    this.scripts.clear()
    this.mutations.clear()
    this.hooks = this.settings.hooks
    this.requests.clear()
  }

  // --- the request pipeline: admin, log, latency, hooks, scripts, key, faults, DFØ --------

  /** A path relative to the base path; other paths as given. */
  private relative(path: string): string {
    return isUnder(path, this.basePath) ? path.slice(this.basePath.length) : path
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? "/"
    const query = target.indexOf("?")
    const pathname = query === -1 ? target : target.slice(0, query)
    if (isUnder(pathname, this.settings.adminPath)) {
      return handleAdmin(this, req, res, pathname.slice(this.settings.adminPath.length))
    }
    const method = req.method ?? "GET"
    const started = performance.now()
    const entry = this.requests.open(method, pathname)
    const under = isUnder(pathname, this.basePath)
    const rel = this.relative(pathname)
    let request: EmulatorRequest = {
      seq: entry.seq,
      method,
      path: rel,
      url: target,
      headers: req.headers,
      body: undefined
    }
    res.on("close", () => this.finished(request, res, entry, performance.now() - started))

    const body = await readBody(req, MAX_REQUEST_BODY)
    if (!body.ok) {
      if (body.reason === "too-large") {
        res.shouldKeepAlive = false
        this.send(res, entry, {
          status: 413,
          payload: fault("Forespørselen er for stor"),
          headers: { connection: "close" }
        })
      }
      return
    }
    if (body.text !== "") {
      const json = parseJson(body.text)
      entry.body = json.ok ? json.value : body.text
      request = { ...request, body: entry.body }
    }
    if (!under) return this.send(res, entry, { status: 404, payload: GATEWAY_NOT_FOUND })

    const delay = this.injector.delay()
    if (delay > 0 && !(await this.sleep(delay, res))) return

    const hook = this.hooks.onRequest
    if (hook !== undefined) {
      const replacement = await hook(request, this)
      if (this.closed || res.destroyed) return
      if (replacement !== undefined) return this.perform(res, entry, replacement)
    }
    const scripted = this.scripts.isEmpty ? undefined : this.scripts.takeFirst(method, rel)
    if (scripted !== undefined) return this.perform(res, entry, scripted)

    const key = req.headers["x-gravitee-api-key"]
    const plan = typeof key === "string" ? this.keys.get(key) : undefined
    if (plan === undefined) return this.send(res, entry, { status: 401, payload: UNAUTHORIZED })
    // The gateway's policies run after its key check: a cached answer never reaches DFØ.
    const cached = this.injector.faults.gatewayCache && GatewayCache.applies(method, req.headers)
    const stored = cached ? this.cache.get(rel) : undefined
    if (stored !== undefined) return this.send(res, entry, stored)
    const faulted = this.injector.draw()
    if (faulted !== undefined) return this.perform(res, entry, faulted)
    const answer = serveEmployeeApi(
      { method, path: rel, contentType: req.headers["content-type"] ?? "", body: body.text, plan },
      this.store,
      this.injector.faults
    )
    if (cached) this.cache.keep(rel, answer)
    this.send(res, entry, answer)
  }

  /** The request is over: log it, apply `mutateAfter` rules, run the `afterResponse` hook. */
  private finished(
    request: EmulatorRequest,
    res: ServerResponse,
    entry: OpenEntry,
    durationMs: number
  ): void {
    const answered = res.writableFinished
    this.requests.closed(entry, durationMs, answered)
    if (answered && !this.mutations.isEmpty) {
      for (const rule of this.mutations.takeAll(request.method, request.path)) {
        this.store.update(rule.id, rule.set)
      }
    }
    const after = this.hooks.afterResponse
    if (after === undefined) return
    try {
      after(request, { status: entry.status, aborted: entry.aborted }, this)
    } catch (error) {
      console.error("dfo-emulator: afterResponse hook failed:", error)
    }
  }

  private send(res: ServerResponse, entry: OpenEntry, answer: Answer): void {
    if (res.headersSent || res.destroyed) return
    this.requests.answered(entry, answer.status)
    writeResponse(res, answer.status, answer.payload, answer.headers)
  }

  /** Plays a scripted, hooked or drawn reply. */
  private async perform(res: ServerResponse, entry: OpenEntry, reply: Reply): Promise<void> {
    if (reply.delayMs !== undefined && reply.delayMs > 0) {
      if (!(await this.sleep(reply.delayMs, res))) return
    }
    if (reply.reset === true) {
      this.requests.reset(entry)
      res.socket?.destroy()
      return
    }
    if (reply.stall === true) {
      // Left open: the client gives up, or stop() closes the connection.
      this.requests.stalled(entry)
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
    const status = reply.status ?? 200
    if (reply.chunked === true && payload !== undefined) {
      return this.sendChunked(res, entry, status, payload, reply.headers ?? {})
    }
    this.send(res, entry, { status, payload, ...(reply.headers ? { headers: reply.headers } : {}) })
  }

  /** The body in 64 KiB chunks without `Content-Length`, as a streaming gateway may send it. */
  private sendChunked(
    res: ServerResponse,
    entry: OpenEntry,
    status: number,
    payload: string,
    headers: Readonly<Record<string, string>>
  ): void {
    this.requests.answered(entry, status)
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers })
    const bytes = Buffer.from(payload)
    for (let at = 0; at < bytes.length; at += 64 * 1024) {
      res.write(bytes.subarray(at, at + 64 * 1024))
    }
    res.end()
  }

  /** Waits `ms`; false when the emulator stopped or the client left meanwhile. */
  private async sleep(ms: number, res: ServerResponse): Promise<boolean> {
    await new Promise<void>((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper)
          resolve()
        }, ms),
        wake: resolve
      }
      this.sleepers.add(sleeper)
    })
    return !this.closed && !res.destroyed
  }
}
