import type { MessageInitShape } from "@bufbuild/protobuf"
import {
  GrpcClient,
  type HealthV1,
  type ReflectionV1,
  type WritebackEvent,
  type WritebackRequestSchema,
  type WritebackService
} from "@dfo-writeback/contract"
import { Poll } from "@dfo-writeback/testkit"
import * as grpc from "@grpc/grpc-js"
import { Effect, type Scope } from "effect"

/** The token every test server accepts. */
export const token = "test-token-7f3a9c"

export type WritebackClient = GrpcClient.Client<typeof WritebackService>
export type HealthClient = GrpcClient.Client<typeof HealthV1.Health>
export type ReflectionClient = GrpcClient.Client<typeof ReflectionV1.ServerReflection>
export type Request = MessageInitShape<typeof WritebackRequestSchema>

/** `authorization: Bearer <value>` metadata. */
export const bearer = (value: string = token): grpc.Metadata => {
  const metadata = new grpc.Metadata()
  metadata.set("authorization", `Bearer ${value}`)
  return metadata
}

/** A client living as long as the scope. */
export const client = <S extends Parameters<typeof GrpcClient.make>[0]>(
  service: S,
  address: string,
  options: GrpcClient.MakeOptions = {}
): Effect.Effect<GrpcClient.Client<S>, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => GrpcClient.make(service, address, options)),
    (c) => Effect.sync(() => c.close())
  )

/** What a Writeback call answered: its events, the error it ended with, its headers. */
export interface Answer {
  readonly events: ReadonlyArray<WritebackEvent>
  readonly error: grpc.ServiceError | undefined
  readonly headers: grpc.Metadata | undefined
}

/** Reads a response stream to its end. */
export const collect = async (
  stream: grpc.ClientReadableStream<WritebackEvent>
): Promise<Answer> => {
  const events: Array<WritebackEvent> = []
  let headers: grpc.Metadata | undefined
  stream.once("metadata", (metadata: grpc.Metadata) => (headers = metadata))
  try {
    for await (const event of stream) events.push(event as WritebackEvent)
  } catch (error) {
    return { events, error: error as grpc.ServiceError, headers }
  }
  return { events, error: undefined, headers }
}

/** One Writeback call to its end. */
export const writeback = (
  c: WritebackClient,
  request: Request,
  options: { readonly metadata?: grpc.Metadata; readonly deadlineMs?: number } = {}
): Effect.Effect<Answer> =>
  Effect.promise(() =>
    collect(
      c.writeback(
        request,
        options.metadata ?? bearer(),
        options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs }
      )
    )
  )

/** A unary call as an Effect of its answer or its error. */
export const unary = <O>(
  call: (callback: (error: grpc.ServiceError | null, value?: O) => void) => unknown
): Effect.Effect<{ readonly value: O | undefined; readonly error: grpc.ServiceError | null }> =>
  Effect.async((resume) => {
    call((error, value) => resume(Effect.succeed({ value, error })))
  })

/** The services the server lists through reflection (grpcurl's `list`). */
export const listServices = (
  c: ReflectionClient,
  metadata: grpc.Metadata = bearer()
): Effect.Effect<{
  readonly services: ReadonlyArray<string>
  readonly error: grpc.ServiceError | undefined
}> =>
  Effect.promise(async () => {
    const call = c.serverReflectionInfo(metadata)
    call.write({ host: "", messageRequest: { case: "listServices", value: "*" } })
    call.end()
    const services: Array<string> = []
    try {
      for await (const response of call) {
        const answer = (response as ReflectionV1.ServerReflectionResponse).messageResponse
        if (answer.case === "listServicesResponse") {
          services.push(...answer.value.service.map((service) => service.name))
        }
      }
    } catch (error) {
      return { services, error: error as grpc.ServiceError }
    }
    return { services, error: undefined }
  })

/** The event kinds of an answer, e.g. `["started", "user", "summary"]`. */
export const kinds = (answer: Answer): ReadonlyArray<string | undefined> =>
  answer.events.map((event) => event.event.case)

/** A Writeback call in flight: its events so far, and its answer once it ends. */
export interface Running {
  readonly call: grpc.ClientReadableStream<WritebackEvent>
  readonly events: ReadonlyArray<WritebackEvent>
  readonly answer: Promise<Answer>
  /** Whether the call has ended (status received). */
  readonly ended: () => boolean
}

/** Starts a Writeback call without waiting for it. */
export const start = (
  c: WritebackClient,
  request: Request,
  options: { readonly metadata?: grpc.Metadata; readonly deadlineMs?: number } = {}
): Running => {
  const call = c.writeback(
    request,
    options.metadata ?? bearer(),
    options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs }
  )
  const events: Array<WritebackEvent> = []
  call.on("data", (event: WritebackEvent) => events.push(event))
  let ended = false
  const answer = new Promise<Answer>((resolve) => {
    let headers: grpc.Metadata | undefined
    call.once("metadata", (metadata: grpc.Metadata) => (headers = metadata))
    call.once("status", () => {
      ended = true
    })
    call.once("error", (error: grpc.ServiceError) => {
      ended = true
      resolve({ events, error, headers })
    })
    call.once("end", () => {
      ended = true
      resolve({ events, error: undefined, headers })
    })
  })
  return { call, events, answer, ended: () => ended }
}

/** Checks `condition` every 20 ms until it holds; dies after `timeoutMs`. */
export const eventually = (
  condition: () => boolean,
  what: string,
  timeoutMs = 10_000
): Effect.Effect<void> =>
  Poll.until(Effect.sync(condition), { what, timeout: timeoutMs }).pipe(Effect.orDie)
