// Modules, not the packages' indexes: each index loads all of the package (~70 MB RSS).
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type { HttpClientResponse } from "@effect/platform/HttpClientResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Redacted, type Scope, Stream } from "effect"
import type { ProxySettings } from "../HttpProxy.js"
import type { Answer } from "./Answer.js"
import { AttemptFailure } from "./AttemptFailure.js"
import { collectWithin, declaredTooLarge } from "./BoundedBody.js"
import { makeDispatcher } from "./dispatcher.js"

export type Method = "GET" | "PUT" | "PATCH"

export interface ExchangeSettings {
  readonly base: URL
  readonly apiKey: Redacted.Redacted<string>
  readonly connections: number
  readonly timeoutMs: number
  readonly proxy?: ProxySettings | undefined
}

/**
 * Sends one request and hands its answer to `consume`, which reads it whole, or drops it
 * (`discard`). An interruption (the attempt's timeout, a cancelled run) aborts the
 * request, which closes its connection.
 */
export type Send = <A>(
  method: Method,
  path: string,
  body: string | undefined,
  consume: (response: HttpClientResponse) => Effect.Effect<A, AttemptFailure>
) => Effect.Effect<A, AttemptFailure>

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
const transportFailure = (error: HttpClientError.HttpClientError) =>
  new AttemptFailure({ reason: `request failed: ${describe(error.cause)}`, transient: true })

/** The answer's body, failing as a transport error when the connection breaks. */
export const bodyOf = (response: HttpClientResponse): Stream.Stream<Uint8Array, AttemptFailure> =>
  Stream.mapError(response.stream, transportFailure)

/**
 * Drops an answer's body unread: starting its stream and stopping it at once ends the
 * exchange, which closes the connection.
 */
export const discard = (response: HttpClientResponse): Effect.Effect<void> =>
  Effect.ignore(Stream.runDrain(Stream.interruptWhen(response.stream, Effect.void)))

/**
 * A small answer read whole; its body is `undefined` past `maxBytes` (read no further).
 * A declared length within the limit is read as text at once: undici stops at that
 * length, so the limit holds without counting.
 */
export const readAnswer = (
  response: HttpClientResponse,
  maxBytes: number
): Effect.Effect<Answer, AttemptFailure> => {
  const headers = response.headers
  const answer = (body: string | undefined): Answer => ({
    status: response.status,
    headers,
    body,
    bodyLimit: maxBytes
  })
  const declared = headers["content-length"]
  if (declared === undefined) {
    return Effect.map(collectWithin(bodyOf(response), maxBytes), (bytes) =>
      answer(bytes?.toString("utf8"))
    )
  }
  if (declaredTooLarge(headers, maxBytes)) {
    return Effect.as(discard(response), answer(undefined))
  }
  return Effect.mapBoth(response.text, { onFailure: transportFailure, onSuccess: answer })
}

/**
 * `@effect/platform`'s HttpClient over undici, on the client's own pool (proxy, connection
 * count, undici's timeouts); the pool closes with the scope.
 */
export const makeExchange = (settings: ExchangeSettings): Effect.Effect<Send, never, Scope.Scope> =>
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
      (pool) => Effect.promise(() => pool.destroy())
    ),
    (pool) => {
      const client = NodeHttpClient.makeUndici(pool).pipe(
        // Its span would record every request header, the API key among them (it redacts
        // only names it knows); DfoEmployees.request traces each attempt instead.
        HttpClient.withTracerDisabledWhen(() => true)
      )
      const headers = {
        accept: "application/json",
        "x-gravitee-api-key": Redacted.value(settings.apiKey),
        // A cache policy on the gateway would otherwise answer a GET, the re-read before a
        // write among them, with what DFØ held when it was cached (CONTRACT §3).
        "x-gravitee-cache": "BY_PASS"
      }
      const origin = settings.base.origin
      const templates: Record<Method, HttpClientRequest.HttpClientRequest> = {
        GET: HttpClientRequest.get(origin, { headers }),
        PUT: HttpClientRequest.put(origin, { headers }),
        PATCH: HttpClientRequest.patch(origin, { headers })
      }
      return (method, path, body, consume) => {
        const url = HttpClientRequest.setUrl(templates[method], `${origin}${path}`)
        const request =
          body === undefined ? url : HttpClientRequest.bodyText(url, body, "application/json")
        return Effect.flatMap(Effect.mapError(client.execute(request), transportFailure), consume)
      }
    }
  )
