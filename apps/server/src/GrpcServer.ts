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
import type { Writeback } from "@dfo-writeback/writeback"
import * as grpc from "@grpc/grpc-js"
import {
  Context,
  Effect,
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
import * as CallLog from "./CallLog.js"
import * as GrpcLog from "./GrpcLog.js"
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
 * Starts the server and returns once it listens. Closing the scope drains it: health turns
 * NOT_SERVING, new calls are refused, running calls get `shutdownGraceMs` to finish, then
 * their fibers are interrupted (each call ends UNAVAILABLE / SHUTTING_DOWN) and every
 * connection is closed.
 */
export const make = (
  settings: ServerSettings
): Effect.Effect<GrpcServerService, GrpcServerError, Writeback.Writeback | Scope.Scope> =>
  Effect.gen(function* () {
    const runSync = Runtime.runSync(yield* Effect.runtime<never>())
    yield* GrpcLog.install(runSync)
    const calls = yield* FiberSet.make<void>()
    const runFork = yield* FiberSet.runtime(calls)<never>()
    const handler = yield* WritebackHandler.make({
      streamStallTimeoutMs: settings.streamStallTimeoutMs,
      maxRunMs: settings.maxRunMs
    })
    const serviceNames = ["", WritebackService.typeName]
    const health = HealthService.make(
      Object.fromEntries(serviceNames.map((name) => [name, "SERVING" as const]))
    )

    const server = new grpc.Server({
      // grpc-js applies them inside out: the call log sees the auth check's status.
      interceptors: [
        CallLog.interceptor((record) => runSync(CallLog.log(record))),
        ...(settings.authTokens.length === 0
          ? []
          : [Auth.interceptor(Auth.make(settings.authTokens), [HealthV1.Health.typeName])])
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
      }
    })

    const creds = yield* credentials(settings)
    const host = settings.listen.slice(0, settings.listen.lastIndexOf(":"))
    const port = yield* Effect.acquireRelease(
      bind(server, settings.listen, creds).pipe(
        Effect.tapError(() => Effect.sync(() => server.forceShutdown()))
      ),
      () =>
        Effect.gen(function* () {
          yield* Effect.logInfo("draining").pipe(
            Effect.annotateLogs({
              running_calls: yield* FiberSet.size(calls),
              grace_ms: settings.shutdownGraceMs
            })
          )
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
          yield* Effect.logInfo("stopped")
        })
    )

    const address = `${host}:${port}`
    yield* Effect.logInfo("listening").pipe(
      Effect.annotateLogs({
        address,
        tls: Option.isSome(settings.tls),
        mutual_tls: Option.exists(settings.tls, (tls) => Option.isSome(tls.clientCa)),
        authentication: settings.authTokens.length > 0
      })
    )
    return { address, port }
  })

/** The server over the writeback program; lives as long as the layer. */
export const layer = (
  settings: ServerSettings
): Layer.Layer<GrpcServer, GrpcServerError, Writeback.Writeback> =>
  Layer.scoped(GrpcServer, make(settings))
