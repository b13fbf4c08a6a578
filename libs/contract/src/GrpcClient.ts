/**
 * Typed @grpc/grpc-js clients for protobuf-es service descriptors, built with
 * `makeGenericClientConstructor` over {@link GrpcService.definition}. Requests may be
 * messages or their init shapes; responses arrive as decoded protobuf-es messages.
 */
import type { DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf"
import * as grpc from "@grpc/grpc-js"
import * as GrpcService from "./GrpcService.js"

type Request<M extends DescMethod> = MessageInitShape<M["input"]>
type Response<M extends DescMethod> = MessageShape<M["output"]>

/** A unary method with grpc-js's optional metadata and call options. */
export interface UnaryMethod<I, O> {
  (request: I, callback: grpc.requestCallback<O>): grpc.ClientUnaryCall
  (request: I, metadata: grpc.Metadata, callback: grpc.requestCallback<O>): grpc.ClientUnaryCall
  (request: I, options: grpc.CallOptions, callback: grpc.requestCallback<O>): grpc.ClientUnaryCall
  (
    request: I,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<O>
  ): grpc.ClientUnaryCall
}

/** A server-streaming method; the returned stream is async-iterable. */
export interface ServerStreamingMethod<I, O> {
  (request: I, options?: grpc.CallOptions): grpc.ClientReadableStream<O>
  (request: I, metadata?: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<O>
}

/** A client-streaming method. */
export interface ClientStreamingMethod<I, O> {
  (callback: grpc.requestCallback<O>): grpc.ClientWritableStream<I>
  (metadata: grpc.Metadata, callback: grpc.requestCallback<O>): grpc.ClientWritableStream<I>
  (options: grpc.CallOptions, callback: grpc.requestCallback<O>): grpc.ClientWritableStream<I>
  (
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<O>
  ): grpc.ClientWritableStream<I>
}

/** A bidirectional-streaming method. */
export interface BidiStreamingMethod<I, O> {
  (options?: grpc.CallOptions): grpc.ClientDuplexStream<I, O>
  (metadata?: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<I, O>
}

/**
 * The client-side signature of one method, chosen by the method's kind; the union of all
 * four when the kind is not known statically (a descriptor built at runtime).
 */
export type Method<M extends DescMethod> = DescMethod["methodKind"] extends M["methodKind"]
  ? | UnaryMethod<Request<M>, Response<M>>
    | ServerStreamingMethod<Request<M>, Response<M>>
    | ClientStreamingMethod<Request<M>, Response<M>>
    | BidiStreamingMethod<Request<M>, Response<M>>
  : M["methodKind"] extends "unary"
    ? UnaryMethod<Request<M>, Response<M>>
    : M["methodKind"] extends "server_streaming"
      ? ServerStreamingMethod<Request<M>, Response<M>>
      : M["methodKind"] extends "client_streaming"
        ? ClientStreamingMethod<Request<M>, Response<M>>
        : BidiStreamingMethod<Request<M>, Response<M>>

/** A grpc-js client with one method per RPC, keyed by local name (`writeback`, `check`). */
export type Client<S extends GrpcService.AnyService> = grpc.Client & {
  readonly [K in keyof S["method"]]: Method<S["method"][K]>
}

/** The class of {@link Client}s for one service. */
export interface ClientConstructor<S extends GrpcService.AnyService> {
  new (
    address: string,
    credentials: grpc.ChannelCredentials,
    options?: Partial<grpc.ClientOptions>
  ): Client<S>
  readonly service: GrpcService.Definition<S>
  readonly serviceName: string
}

const constructors = new WeakMap<GrpcService.AnyService, grpc.ServiceClientConstructor>()

/** The client class for a service (memoized per descriptor). */
export const clientConstructor = <S extends GrpcService.AnyService>(
  service: S
): ClientConstructor<S> => {
  let cached = constructors.get(service)
  if (cached === undefined) {
    cached = grpc.makeGenericClientConstructor(GrpcService.definition(service), service.typeName)
    constructors.set(service, cached)
  }
  return cached as unknown as ClientConstructor<S>
}

/** Options for {@link make}. */
export interface MakeOptions {
  /** Defaults to insecure (plaintext) credentials. */
  readonly credentials?: grpc.ChannelCredentials
  /** grpc-js channel options, such as `grpc.max_receive_message_length`. */
  readonly channelOptions?: Partial<grpc.ClientOptions>
}

/** A client for a service at `address` (`host:port`); close it with `client.close()`. */
export const make = <S extends GrpcService.AnyService>(
  service: S,
  address: string,
  options: MakeOptions = {}
): Client<S> => {
  const Constructor = clientConstructor(service)
  return new Constructor(
    address,
    options.credentials ?? grpc.credentials.createInsecure(),
    options.channelOptions
  )
}
