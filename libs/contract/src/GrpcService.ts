/**
 * Serves protobuf-es service descriptors with @grpc/grpc-js: every method of a `GenService`
 * becomes a grpc-js method definition, so a method added to the proto is served without
 * hand-written glue.
 */
import type {
  DescMessage,
  DescMethod,
  DescService,
  MessageInitShape,
  MessageShape
} from "@bufbuild/protobuf"
import * as grpc from "@grpc/grpc-js"
import { deserializer, serializer } from "./internal/binary.js"

/**
 * Stands in for a request message that did not decode. grpc-js answers a throwing
 * deserializer with INTERNAL, as if the server were at fault; `addService` answers this
 * with INVALID_ARGUMENT instead, before any handler sees it.
 */
class Undecodable {
  constructor(
    readonly typeName: string,
    readonly reason: string
  ) {}
  get details() {
    return `INVALID_REQUEST: the request is not a valid ${this.typeName} message: ${this.reason.slice(0, 200)}`
  }
}

const lenientDeserializer = (schema: DescMessage) => {
  const decode = deserializer(schema)
  return (bytes: Buffer): MessageShape<DescMessage> => {
    try {
      return decode(bytes)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      return new Undecodable(schema.typeName, reason) as unknown as MessageShape<DescMessage>
    }
  }
}

const hasSingleRequest = (method: DescMethod) =>
  method.methodKind === "unary" || method.methodKind === "server_streaming"

/**
 * Any service descriptor whose `method` map is keyed by the methods' local names, as
 * protobuf-es generates it (`GenService<…>`) or builds it from a registry (`DescService`).
 */
export type AnyService = Omit<DescService, "method"> & {
  readonly method: { readonly [localName: string]: DescMethod }
}

/** The request message a method receives. */
export type Input<M extends DescMethod> = MessageShape<M["input"]>

/** What a handler may send: a message or its init shape, which the serializer completes. */
export type OutputInit<M extends DescMethod> = MessageInitShape<M["output"]>

/**
 * The grpc-js handler for one method, chosen by the method's kind; any handler when the kind
 * is not known statically (a descriptor built at runtime).
 */
export type Handler<M extends DescMethod> = DescMethod["methodKind"] extends M["methodKind"]
  ? grpc.UntypedHandleCall
  : M["methodKind"] extends "unary"
    ? grpc.handleUnaryCall<Input<M>, OutputInit<M>>
    : M["methodKind"] extends "server_streaming"
      ? grpc.handleServerStreamingCall<Input<M>, OutputInit<M>>
      : M["methodKind"] extends "client_streaming"
        ? grpc.handleClientStreamingCall<Input<M>, OutputInit<M>>
        : grpc.handleBidiStreamingCall<Input<M>, OutputInit<M>>

/** One handler per method, keyed by the method's local name (`writeback`, `check`). */
export type Handlers<S extends AnyService> = {
  readonly [K in keyof S["method"]]: Handler<S["method"][K]>
}

/** A grpc-js service definition keyed like {@link Handlers}. */
export type Definition<S extends AnyService> = grpc.ServiceDefinition<Handlers<S>>

const definitions = new WeakMap<AnyService, grpc.ServiceDefinition>()

/**
 * The grpc-js definition of a service: path `/${typeName}/${name}`, streaming flags from
 * the method kind, protobuf binary (de)serializers. Memoized per descriptor.
 */
export const definition = <S extends AnyService>(service: S): Definition<S> => {
  let cached = definitions.get(service)
  if (cached === undefined) {
    const methods: Record<string, ReturnType<typeof methodDefinition>> = {}
    for (const method of service.methods) {
      methods[method.localName] = methodDefinition(method)
    }
    cached = methods
    definitions.set(service, cached)
  }
  return cached as Definition<S>
}

/** The grpc-js definition of one method. */
export const methodDefinition = (
  method: DescMethod
): grpc.MethodDefinition<MessageInitShape<DescMessage>, MessageInitShape<DescMessage>> => ({
  path: `/${method.parent.typeName}/${method.name}`,
  requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
  responseStream:
    method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
  requestSerialize: serializer(method.input),
  // A streamed request's messages are read by the handler itself; a single request is
  // decoded before the handler starts, so only there can the binding answer for it.
  requestDeserialize: hasSingleRequest(method)
    ? lenientDeserializer(method.input)
    : deserializer(method.input),
  responseSerialize: serializer(method.output),
  responseDeserialize: deserializer(method.output),
  // grpc-js also accepts handlers and exposes client methods under the proto name.
  originalName: method.name
})

/**
 * Wraps a unary or server-streaming handler so that an undecodable request ends the call with
 * INVALID_ARGUMENT (CONTRACT §5) and never reaches the handler.
 */
const guarded = (method: DescMethod, handler: grpc.UntypedHandleCall): grpc.UntypedHandleCall => {
  if (method.methodKind === "unary") {
    const unary = handler as grpc.handleUnaryCall<unknown, unknown>
    return ((call, callback) => {
      const request: unknown = call.request
      if (request instanceof Undecodable) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: request.details })
      } else unary(call, callback)
    }) satisfies grpc.handleUnaryCall<unknown, unknown>
  }
  if (method.methodKind === "server_streaming") {
    const streaming = handler as grpc.handleServerStreamingCall<unknown, unknown>
    return ((call) => {
      const request: unknown = call.request
      if (request instanceof Undecodable) {
        call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: request.details })
      } else streaming(call)
    }) satisfies grpc.handleServerStreamingCall<unknown, unknown>
  }
  return handler
}

/** Registers a service on a grpc-js server; the handlers are checked against the descriptor. */
export const addService = <S extends AnyService>(
  server: Pick<grpc.Server, "addService">,
  service: S,
  handlers: Handlers<S>
): void => {
  const implementation: grpc.UntypedServiceImplementation = {}
  for (const method of service.methods) {
    const handler = (handlers as Record<string, grpc.UntypedHandleCall | undefined>)[
      method.localName
    ]
    if (handler !== undefined) implementation[method.localName] = guarded(method, handler)
  }
  server.addService(definition(service), implementation)
}
