/**
 * The API server's REST endpoint for one `coordination.k8s.io/v1` Lease, as the lease
 * needs it: read, create or replace. Optimistic concurrency: a replace names the
 * `resourceVersion` it read, and a `409` means another holder wrote first. Times are the
 * API's MicroTime (RFC 3339 with microseconds).
 */
import { readFileSync } from "node:fs"
import { Effect, Either, Schema, type Scope } from "effect"
import { Agent, request } from "undici"
import { LeaseUnavailable } from "../LeaseError.js"

export interface Options {
  /** As named in messages: `k8s:<namespace>/<name>`. */
  readonly lease: string
  /** `https://<host>:<port>` (tests: the fake's `http://` address). */
  readonly baseUrl: string
  /** Re-read before each request: the kubelet rotates bound service-account tokens. */
  readonly tokenFile: string
  readonly caFile: string | undefined
  readonly namespace: string
  readonly name: string
  readonly durationSeconds: number
  readonly identity: string
}

export const LeaseObject = Schema.Struct({
  metadata: Schema.Struct({ resourceVersion: Schema.String }),
  spec: Schema.optionalWith(
    Schema.Struct({
      holderIdentity: Schema.optional(Schema.NullOr(Schema.String)),
      leaseDurationSeconds: Schema.optional(Schema.NullOr(Schema.Number)),
      acquireTime: Schema.optional(Schema.NullOr(Schema.String)),
      renewTime: Schema.optional(Schema.NullOr(Schema.String)),
      leaseTransitions: Schema.optional(Schema.NullOr(Schema.Number))
    }),
    { default: () => ({}) }
  )
})
export type LeaseObject = typeof LeaseObject.Type

/** MicroTime: `2026-12-07T06:20:00.123000Z`. */
export const microTime = (ms: number) =>
  new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z")

/** What the API server answered: the Lease, none (`404`), or a lost race (`409`). */
export type Answer =
  | { readonly _tag: "Lease"; readonly lease: LeaseObject }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Conflict" }

export interface LeaseApi {
  readonly read: Effect.Effect<Answer, LeaseUnavailable>
  /** Creates the Lease (`lease` undefined) or replaces the version read. */
  readonly write: (
    lease: LeaseObject | undefined,
    spec: Record<string, unknown>
  ) => Effect.Effect<Answer, LeaseUnavailable>
  readonly unavailable: (reason: string) => LeaseUnavailable
}

/** The endpoint over its own connection pool, closed with the scope. */
export const make = (options: Options): Effect.Effect<LeaseApi, LeaseUnavailable, Scope.Scope> =>
  Effect.gen(function* () {
    const unavailable = (reason: string) => new LeaseUnavailable({ lease: options.lease, reason })
    const dispatcher = yield* Effect.acquireRelease(
      Effect.try({
        try: () =>
          new Agent({
            connect: {
              timeout: 5000,
              ...(options.caFile === undefined || options.baseUrl.startsWith("http:")
                ? {}
                : { ca: readFileSync(options.caFile, "utf8") })
            },
            headersTimeout: 10_000,
            bodyTimeout: 10_000
          }),
        catch: (error) => unavailable(`the service account's CA cannot be read: ${String(error)}`)
      }),
      (agent) => Effect.promise(() => agent.close())
    )
    const path = `/apis/coordination.k8s.io/v1/namespaces/${options.namespace}/leases`
    const token = Effect.try({
      try: () => readFileSync(options.tokenFile, "utf8").trim(),
      catch: () => unavailable(`the service account token cannot be read (${options.tokenFile})`)
    })

    /** One call; 404 and 409 are answers, anything else but 2xx is unavailable. */
    const call = (method: "GET" | "POST" | "PUT", url: string, body?: unknown) =>
      Effect.gen(function* () {
        const bearer = yield* token
        const answer = yield* Effect.tryPromise({
          try: async (signal) => {
            const response = await request(`${options.baseUrl}${url}`, {
              method,
              dispatcher,
              signal,
              headers: {
                authorization: `Bearer ${bearer}`,
                accept: "application/json",
                ...(body === undefined ? {} : { "content-type": "application/json" })
              },
              ...(body === undefined ? {} : { body: JSON.stringify(body) })
            })
            return { status: response.statusCode, text: await response.body.text() }
          },
          catch: (error) =>
            unavailable(
              `${method} ${url}: ${error instanceof Error ? error.message : String(error)}`
            )
        })
        if (answer.status === 404) return { _tag: "Missing" } as Answer
        if (answer.status === 409) return { _tag: "Conflict" } as Answer
        if (answer.status < 200 || answer.status >= 300) {
          return yield* unavailable(
            `${method} ${url} answered HTTP ${answer.status}` +
              (answer.status === 401 || answer.status === 403
                ? ": check the service account's RBAC (get, create, update on leases)"
                : "")
          )
        }
        const lease = Either.flatMap(
          Either.try(() => JSON.parse(answer.text) as unknown),
          Schema.decodeUnknownEither(LeaseObject)
        )
        if (Either.isLeft(lease)) return yield* unavailable(`${method} ${url}: not a Lease`)
        return { _tag: "Lease", lease: lease.right } as Answer
      })

    const metadata = { name: options.name, namespace: options.namespace }
    const kind = { apiVersion: "coordination.k8s.io/v1", kind: "Lease" }
    return {
      read: call("GET", `${path}/${options.name}`),
      write: (lease, spec) =>
        lease === undefined
          ? call("POST", path, { ...kind, metadata, spec })
          : call("PUT", `${path}/${options.name}`, {
              ...kind,
              metadata: { ...metadata, resourceVersion: lease.metadata.resourceVersion },
              spec
            }),
      unavailable
    }
  })
