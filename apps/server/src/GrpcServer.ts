/**
 * The gRPC server as a scoped resource: bound when the layer is built, drained when its
 * scope closes (SIGTERM/SIGINT through `NodeRuntime.runMain`). Serves WritebackService,
 * `grpc.health.v1.Health` and server reflection.
 */
import {
  GrpcService,
  HealthService,
  HealthV1,
  ReflectionV1,
  ServerReflection,
  WritebackService
} from "@dfo-writeback/contract"
import type { DfoEmployees } from "@dfo-writeback/dfo-api"
import { EventConsumer } from "@dfo-writeback/events"
import type { PortalDirectory } from "@dfo-writeback/portal-ldap"
import type { Writeback } from "@dfo-writeback/writeback"
import * as grpc from "@grpc/grpc-js"
import {
  Context,
  Duration,
  Effect,
  Either,
  Fiber,
  FiberId,
  FiberSet,
  Layer,
  Option,
  Redacted,
  Runtime,
  Schema,
  type Scope
} from "effect"
import * as Auth from "./Auth.js"
import * as Callers from "./Callers.js"
import * as CallLog from "./CallLog.js"
import * as GrpcLog from "./GrpcLog.js"
import * as DrainGate from "./DrainGate.js"
import * as EventsHealth from "./EventsHealth.js"
import * as HealthMonitor from "./HealthMonitor.js"
import * as ListenAddress from "./ListenAddress.js"
import { PermissionDenied } from "./ServerError.js"
import type { ServerSettings } from "./ServerConfig.js"
import * as WritebackHandler from "./WritebackHandler.js"

/** The running server. */
export interface GrpcServerService {
  /** `host:port` actually bound (the port is known even when 0 was asked for). */
  readonly address: string
  readonly port: number
}

export class GrpcServer extends Context.Tag("@dfo-writeback/server/GrpcServer")<
  GrpcServer,
  GrpcServerService
>() {}

/** The server could not start listening. */
export class GrpcServerError extends Schema.TaggedError<GrpcServerError>()("GrpcServerError", {
  address: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot serve gRPC on ${this.address}: ${this.reason}`
  }
}

/** How long cancelled calls get to send their last status before connections are cut. */
const cancelledCallsFlushMs = 1_000

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const credentials = (
  settings: ServerSettings
): Effect.Effect<grpc.ServerCredentials, GrpcServerError> =>
  Effect.try({
    try: () =>
      Option.match(settings.tls, {
        onNone: () => grpc.ServerCredentials.createInsecure(),
        onSome: (tls) =>
          grpc.ServerCredentials.createSsl(
            Option.getOrNull(tls.clientCa),
            [{ cert_chain: tls.certChain, private_key: Redacted.value(tls.privateKey) }],
            Option.isSome(tls.clientCa)
          )
      }),
    catch: (cause) => new GrpcServerError({ address: settings.listen, reason: describe(cause) })
  })

const bind = (
  server: grpc.Server,
  address: string,
  creds: grpc.ServerCredentials
): Effect.Effect<number, GrpcServerError> =>
  Effect.async<number, GrpcServerError>((resume) => {
    server.bindAsync(address, creds, (error, port) =>
      resume(
        error === null
          ? Effect.succeed(port)
          : Effect.fail(new GrpcServerError({ address, reason: error.message }))
      )
    )
  })

/** Binds the first of `GRPC_LISTEN`'s candidate addresses that works (`:port`: IPv6, else IPv4). */
const bindFirst = (
  server: grpc.Server,
  listen: string,
  creds: grpc.ServerCredentials
): Effect.Effect<{ readonly address: string; readonly port: number }, GrpcServerError> => {
  const [first, ...rest] = ListenAddress.candidates(listen)
  const attempt = (address: string) =>
    Effect.map(bind(server, address, creds), (port) => ({ address, port }))
  return rest.reduce(
    (bound, next) => Effect.orElse(bound, () => attempt(next)),
    attempt(first ?? listen)
  )
}

/** `Apply` writes a plan: only a `full` caller may call it (CONTRACT §6). */
const applyPath = `/${WritebackService.typeName}/Apply`
const methodPolicy: Auth.MethodPolicy = (caller, path) =>
  path === applyPath
    ? Either.mapLeft(
        Callers.permitsApply(caller.scope),
        (reason) => new PermissionDenied({ caller: caller.name, reason })
      )
    : Either.void

/** Resolves once `promise` settles or after `ms`; plain callbacks, so it also works in finalizers. */
const settledWithin = (promise: Promise<void>, ms: number): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    const timer = setTimeout(() => resume(Effect.succeed(false)), ms)
    void promise.then(() => {
      clearTimeout(timer)
      resume(Effect.succeed(true))
    })
    return Effect.sync(() => clearTimeout(timer))
  })

/**
 * Starts the server and returns once it listens, its health checked once. Closing the scope
 * drains it: health turns NOT_SERVING and new calls are refused (UNAVAILABLE) while health
 * still answers for `shutdownDrainMs`; then the listener closes, running calls get
 * `shutdownGraceMs` to finish, then their fibers are interrupted (each call ends
 * UNAVAILABLE / SHUTTING_DOWN) and every connection is closed.
 */
export const make = (
  settings: ServerSettings & WritebackHandler.PlanCheck & WritebackHandler.LeaseCheck
): Effect.Effect<
  GrpcServerService,
  GrpcServerError,
  Writeback.Service | PortalDirectory.PortalDirectory | DfoEmployees.DfoEmployees | Scope.Scope
> =>
  Effect.gen(function* () {
    const runSync = Runtime.runSync(yield* Effect.runtime<never>())
    yield* GrpcLog.install(runSync)
    const calls = yield* FiberSet.make<void>()
    const runFork = yield* FiberSet.runtime(calls)<never>()
    const handler = yield* WritebackHandler.make({
      streamStallTimeoutMs: settings.streamStallTimeoutMs,
      maxRunMs: settings.maxRunMs,
      plan: settings.plan,
      lease: settings.lease,
      readOnly: settings.readOnly
    })
    // `""` is the process; WritebackService follows the background checks.
    const health = HealthService.make({ "": "SERVING" }, { maxWatches: HealthMonitor.maxWatches })
    yield* HealthMonitor.make(health, {
      service: WritebackService.typeName,
      intervalMs: settings.healthCheckIntervalMs
    })
    // Present only when events are on (EVENTS_AMQP_URL): then their health is served too.
    const events = yield* Effect.serviceOption(EventConsumer.EventConsumer)
    if (Option.isSome(events)) yield* EventsHealth.make(health, events.value)
    const gate = DrainGate.make([HealthV1.Health.typeName])

    const server = new grpc.Server({
      // grpc-js applies them inside out: the call log sees the drain gate's and the auth
      // check's statuses.
      interceptors: [
        CallLog.interceptor((record) => runSync(CallLog.log(record))),
        gate.interceptor,
        Auth.interceptor(
          settings.authTokens.length === 0 ? Auth.unauthenticated : Auth.make(settings.authTokens),
          [HealthV1.Health.typeName],
          methodPolicy
        )
      ]
    })
    HealthService.addToServer(server, health)
    ServerReflection.addToServer(server, [
      WritebackService,
      HealthV1.Health,
      ReflectionV1.ServerReflection
    ])
    GrpcService.addService(server, WritebackService, {
      writeback: (call) => {
        const fiber = runFork(handler.serve(call))
        // Also fires once a call has ended normally; interrupting a finished fiber is a no-op.
        call.on("cancelled", () => fiber.unsafeInterruptAsFork(FiberId.none))
      },
      apply: (call) => {
        const fiber = runFork(handler.serveApply(call))
        call.on("cancelled", () => fiber.unsafeInterruptAsFork(FiberId.none))
      }
    })

    const creds = yield* credentials(settings)
    const bound = yield* Effect.acquireRelease(
      bindFirst(server, settings.listen, creds).pipe(
        Effect.tapError(() => Effect.sync(() => server.forceShutdown()))
      ),
      () =>
        Effect.gen(function* () {
          yield* Effect.logInfo("draining").pipe(
            Effect.annotateLogs({
              running_calls: yield* FiberSet.size(calls),
              drain_ms: settings.shutdownDrainMs,
              grace_ms: settings.shutdownGraceMs
            })
          )
          health.drain()
          gate.close()
          // The event consumer stops taking messages now, not after the drain (CONTRACT §8);
          // its runs in flight finish meanwhile, beside the gRPC calls.
          const eventsStopped = yield* Effect.fork(
            Option.match(events, { onNone: () => Effect.void, onSome: (consumer) => consumer.stop })
          )
          yield* Effect.sleep(Duration.millis(settings.shutdownDrainMs))
          health.shutdown()
          const closed = new Promise<void>((resolve) => server.tryShutdown(() => resolve()))
          if (!(yield* settledWithin(closed, settings.shutdownGraceMs))) {
            const running = Array.from(calls)
            yield* Effect.logWarning("grace period over: cancelling running calls").pipe(
              Effect.annotateLogs("running_calls", running.length)
            )
            yield* Fiber.interruptAll(running)
            yield* settledWithin(closed, cancelledCallsFlushMs)
            server.forceShutdown()
          }
          yield* Fiber.join(eventsStopped)
          yield* Effect.logInfo("stopped")
        })
    )

    const { port } = bound
    const address = `${bound.address.slice(0, bound.address.lastIndexOf(":"))}:${port}`
    yield* Effect.logInfo("listening").pipe(
      Effect.annotateLogs({
        address,
        tls: Option.isSome(settings.tls),
        mutual_tls: Option.exists(settings.tls, (tls) => Option.isSome(tls.clientCa)),
        authentication: settings.authTokens.length > 0,
        // Names and scopes only (never a token), so an operator sees how the entries parsed.
        callers: settings.authTokens.map((entry) => `${entry.name || "(unnamed)"}:${entry.scope}`),
        health: health.getStatus(WritebackService.typeName)
      })
    )
    return { address, port }
  })

/** The server over the writeback program; lives as long as the layer. */
export const layer = (
  settings: ServerSettings & WritebackHandler.PlanCheck & WritebackHandler.LeaseCheck
): Layer.Layer<
  GrpcServer,
  GrpcServerError,
  Writeback.Service | PortalDirectory.PortalDirectory | DfoEmployees.DfoEmployees
> => Layer.scoped(GrpcServer, make(settings))
