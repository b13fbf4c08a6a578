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
import type * as grpc from "@grpc/grpc-js"
import { deserializer, serializer } from "./internal/binary.js"

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
  requestDeserialize: deserializer(method.input),
  responseSerialize: serializer(method.output),
  responseDeserialize: deserializer(method.output),
  // grpc-js also accepts handlers and exposes client methods under the proto name.
  originalName: method.name
})

/** Registers a service on a grpc-js server; the handlers are checked against the descriptor. */
export const addService = <S extends AnyService>(
  server: Pick<grpc.Server, "addService">,
  service: S,
  handlers: Handlers<S>
): void => server.addService(definition(service), handlers as grpc.UntypedServiceImplementation)
