/**
 * A `coordination.k8s.io/v1` Lease over the API server's REST API, with optimistic
 * concurrency: every write names the `resourceVersion` it read, and a `409` means another
 * holder wrote first. Times are the API's MicroTime (RFC 3339 with microseconds).
 */
import { readFileSync } from "node:fs"
import { Deferred, Duration, Effect, Either, Ref, Schedule, Schema } from "effect"
import { Agent, request } from "undici"
import { LeaseHeld, LeaseUnavailable } from "../LeaseError.js"
import type { Acquire } from "./held.js"

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

const LeaseObject = Schema.Struct({
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
type LeaseObject = typeof LeaseObject.Type

/** MicroTime: `2026-12-07T06:20:00.123000Z`. */
const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z")

type Answer =
  | { readonly _tag: "Lease"; readonly lease: LeaseObject }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Conflict" }

export const acquire = (options: Options): Acquire =>
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

    const read = call("GET", `${path}/${options.name}`)
    const write = (lease: LeaseObject | undefined, spec: Record<string, unknown>) =>
      lease === undefined
        ? call("POST", path, {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name: options.name, namespace: options.namespace },
            spec
          })
        : call("PUT", `${path}/${options.name}`, {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: {
              name: options.name,
              namespace: options.namespace,
              resourceVersion: lease.metadata.resourceVersion
            },
            spec
          })

    const held = (lease: LeaseObject) =>
      new LeaseHeld({ lease: options.lease, holder: lease.spec.holderIdentity ?? "someone" })
    const expired = (lease: LeaseObject, now: number) => {
      const renewed = Date.parse(lease.spec.renewTime ?? "")
      const duration = (lease.spec.leaseDurationSeconds ?? options.durationSeconds) * 1000
      return Number.isNaN(renewed) || renewed + duration < now
    }
    const mine = (lease: LeaseObject) => lease.spec.holderIdentity === options.identity

    /** Takes the lease once: free, expired or already ours; a lost race is `LeaseHeld`. */
    const take = Effect.gen(function* () {
      const current = yield* read
      const now = Date.now()
      const lease = current._tag === "Lease" ? current.lease : undefined
      const holder = lease?.spec.holderIdentity ?? ""
      if (lease !== undefined && holder !== "" && !mine(lease) && !expired(lease, now)) {
        return yield* held(lease)
      }
      const written = yield* write(lease, {
        holderIdentity: options.identity,
        leaseDurationSeconds: options.durationSeconds,
        acquireTime: lease !== undefined && mine(lease) ? lease.spec.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions:
          (lease?.spec.leaseTransitions ?? 0) + (lease !== undefined && !mine(lease) ? 1 : 0)
      })
      if (written._tag === "Lease") return now
      const after = yield* read
      return yield* after._tag === "Lease"
        ? held(after.lease)
        : unavailable("the lease changed while it was taken; try again")
    })

    const renewedAt = yield* Ref.make(yield* take)
    const lost = yield* Deferred.make<string>()
    const interval = Duration.millis((options.durationSeconds * 1000) / 3)

    // Released on the way out, best effort (the lease expires anyway); added before the
    // renewals start, so they are stopped first.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        if (yield* Deferred.isDone(lost)) return
        const current = yield* read
        if (current._tag === "Lease" && mine(current.lease)) {
          yield* write(current.lease, {
            ...current.lease.spec,
            holderIdentity: null,
            leaseDurationSeconds: 1,
            renewTime: microTime(Date.now())
          })
        }
      }).pipe(Effect.ignore)
    )

    /** Renews once; a lease someone else holds now is lost at once. */
    const renew = Effect.gen(function* () {
      const current = yield* read
      if (current._tag !== "Lease" || !mine(current.lease)) {
        return yield* Deferred.succeed(
          lost,
          current._tag === "Lease"
            ? `LEASE_LOST: ${options.lease} is now held by ${current.lease.spec.holderIdentity ?? "nobody"}`
            : `LEASE_LOST: ${options.lease} was deleted`
        )
      }
      const now = Date.now()
      const written = yield* write(current.lease, {
        ...current.lease.spec,
        renewTime: microTime(now)
      })
      if (written._tag === "Lease") yield* Ref.set(renewedAt, now)
      else yield* unavailable("a renewal lost a race; trying again")
    })

    // Every third of the duration; after a failure, each second until the lease would
    // have expired, and then it is lost.
    const renewOrLose = renew.pipe(
      Effect.retry({
        schedule: Schedule.spaced("1 second"),
        while: () =>
          Effect.map(Ref.get(renewedAt), (at) => Date.now() < at + options.durationSeconds * 1000)
      }),
      Effect.catchAll((error) =>
        Deferred.succeed(
          lost,
          `LEASE_LOST: ${options.lease} could not be renewed within ${options.durationSeconds} s: ${error.reason}`
        )
      )
    )
    yield* Effect.sleep(interval).pipe(
      Effect.zipRight(renewOrLose),
      Effect.repeat({ until: () => Deferred.isDone(lost) }),
      Effect.forkScoped
    )
    return { lost: Deferred.await(lost) }
  })
