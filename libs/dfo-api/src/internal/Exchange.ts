import { Effect, Redacted, type Scope, Stream } from "effect"
import type { Dispatcher } from "undici"
import type { ProxySettings } from "../HttpProxy.js"
import type { Answer, Headers } from "./Answer.js"
import { AttemptFailure } from "./AttemptFailure.js"
import { declaredTooLarge } from "./BoundedBody.js"
import { makeDispatcher } from "./dispatcher.js"

/*
 * DFØ's HTTP exchanges, on undici's dispatcher directly. Measured at 8 in flight:
 * `@effect/platform`'s HttpClient cost 119 µs a request over raw undici, and a forked
 * timeout fiber 44 µs; here a request is one handler object and one timer.
 */

export type Method = "GET" | "PUT" | "PATCH"

export interface ExchangeSettings {
  readonly base: URL
  readonly apiKey: Redacted.Redacted<string>
  readonly connections: number
  readonly timeoutMs: number
  readonly proxy?: ProxySettings | undefined
}

/** How one small exchange ended: DFØ's whole answer, or no usable answer. */
export type Ending =
  | { readonly _tag: "Answered"; readonly answer: Answer }
  | { readonly _tag: "Failed"; readonly failure: AttemptFailure; readonly timedOut: boolean }

/** One small request: its answer read whole, the body `undefined` past `maxBytes`. */
export interface SmallRequest {
  readonly method: Method
  readonly path: string
  readonly body: string | undefined
  readonly maxBytes: number
  /** The failure's reason when no complete answer came within `timeoutMs`. */
  readonly lateReason: string
}

/** The answer to the list's request: status and headers, its body still to be read. */
export interface Opened {
  readonly status: number
  readonly headers: Headers
  readonly body: Stream.Stream<Uint8Array, AttemptFailure>
  /** Drops what is left of the body unread, closing the exchange; nothing once it ended. */
  readonly discard: Effect.Effect<void>
}

export interface Exchange {
  /**
   * Sends `request`; `done` is called once, with its ending, unless the returned function
   * (the caller's interruption) is called first, which aborts the request.
   */
  readonly small: (request: SmallRequest, done: (ending: Ending) => void) => () => void
  /**
   * `GET path`, its answer's headers; interruption aborts the request. The body streams
   * with undici's body timeout between chunks; stopping the stream closes the exchange.
   */
  readonly open: (path: string) => Effect.Effect<Opened, AttemptFailure>
}

const describe = (error: unknown): string => {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    const cause = (error as { cause?: unknown }).cause
    const causeText =
      cause instanceof Error && cause.message !== error.message ? `: ${cause.message}` : ""
    return `${error.message}${causeText}${typeof code === "string" ? ` (${code})` : ""}`
  }
  return String(error)
}

/** Transport errors (no answer, or a body cut short) are worth another attempt. */
const transportFailure = (error: unknown) =>
  new AttemptFailure({ reason: `request failed: ${describe(error)}`, transient: true })

const ignore = () => {}

/** Node.js timers overflow above 2^31 − 1 ms and then fire at once; longer never expires. */
const maxTimerMs = 2_147_483_647

/**
 * Reads one small answer as undici delivers it. Past `maxBytes` (declared or counted) it
 * stops: the answer ends with no body and the request is aborted, closing its connection.
 */
class SmallAnswer implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined
  private status = 0
  private headers: Headers = {}
  private chunks: Array<Buffer> = []
  private size = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  /** Set once `done` was called or the caller gave up: what comes later is dropped. */
  private over = false

  constructor(
    private readonly maxBytes: number,
    private readonly done: (ending: Ending) => void
  ) {}

  startTimer(ms: number, lateReason: string) {
    if (ms > maxTimerMs) return
    this.timer = setTimeout(() => {
      this.end({
        _tag: "Failed",
        failure: new AttemptFailure({ reason: lateReason, transient: true }),
        timedOut: true
      })
    }, ms)
  }

  /** The caller's interruption: no ending is reported. */
  cancel = () => {
    if (this.over) return
    this.over = true
    clearTimeout(this.timer)
    this.abort()
  }

  private abort() {
    // Before the request reached a connection there is no controller yet: onRequestStart aborts.
    this.controller?.abort(new Error("the DFØ request was abandoned"))
  }

  private end(ending: Ending) {
    if (this.over) return
    this.over = true
    clearTimeout(this.timer)
    if (ending._tag === "Failed" || ending.answer.body === undefined) this.abort()
    this.done(ending)
  }

  private answered(body: string | undefined) {
    this.end({
      _tag: "Answered",
      answer: { status: this.status, headers: this.headers, body, bodyLimit: this.maxBytes }
    })
  }

  onRequestStart(controller: Dispatcher.DispatchController) {
    this.controller = controller
    if (this.over) this.abort()
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | Array<string> | undefined>
  ) {
    this.status = status
    this.headers = headers
    if (declaredTooLarge(headers, this.maxBytes)) this.answered(undefined)
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer) {
    if (this.over) return
    this.size += chunk.length
    if (this.size > this.maxBytes) return this.answered(undefined)
    this.chunks.push(chunk)
  }

  onResponseEnd() {
    if (this.over) return
    const { chunks } = this
    const body =
      chunks.length === 1
        ? (chunks[0] as Buffer).toString("utf8")
        : Buffer.concat(chunks, this.size).toString("utf8")
    this.answered(body)
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error) {
    this.end({ _tag: "Failed", failure: transportFailure(error), timedOut: false })
  }
}

/**
 * The exchange over the client's own pool (proxy, connection count, undici's timeouts as a
 * backstop); the pool closes with the scope.
 */
export const makeExchange = (
  settings: ExchangeSettings
): Effect.Effect<Exchange, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() =>
        makeDispatcher(
          settings.base.origin,
          {
            connections: settings.connections,
            headersTimeout: settings.timeoutMs,
            bodyTimeout: settings.timeoutMs
          },
          settings.proxy
        )
      ),
      (dispatcher) => Effect.promise(() => dispatcher.destroy())
    ),
    (dispatcher): Exchange => {
      const origin = settings.base.origin
      const key = Redacted.value(settings.apiKey)
      const read = {
        accept: "application/json",
        "x-gravitee-api-key": key,
        // A cache policy on the gateway would otherwise answer a GET, the re-read before a
        // write among them, with what DFØ held when it was cached (CONTRACT §3).
        "x-gravitee-cache": "BY_PASS"
      }
      const write = { ...read, "content-type": "application/json" }

      const small: Exchange["small"] = (request, done) => {
        const handler = new SmallAnswer(request.maxBytes, done)
        handler.startTimer(settings.timeoutMs, request.lateReason)
        dispatcher.dispatch(
          request.body === undefined
            ? { origin, method: request.method, path: request.path, headers: read }
            : {
                origin,
                method: request.method,
                path: request.path,
                headers: write,
                body: request.body
              },
          handler
        )
        return handler.cancel
      }

      const open = (path: string) =>
        Effect.async<Opened, AttemptFailure>((resume) => {
          const controller = new AbortController()
          dispatcher
            .request({ origin, method: "GET", path, headers: read, signal: controller.signal })
            .then(
              ({ statusCode, headers, body }) =>
                resume(
                  Effect.succeed({
                    status: statusCode,
                    headers,
                    body: Stream.fromAsyncIterable<Uint8Array, AttemptFailure>(
                      body,
                      transportFailure
                    ),
                    discard: Effect.sync(() => {
                      if (body.destroyed) return
                      // Destroyed unread, the body reports an AbortError: it is the point.
                      body.once("error", ignore)
                      body.destroy()
                    })
                  })
                ),
              (error: unknown) => resume(Effect.fail(transportFailure(error)))
            )
          return Effect.sync(() => controller.abort())
        })

      return { small, open }
    }
  )
