/**
 * gRPC server reflection (`grpc.reflection.v1` and `v1alpha`) for protobuf-es services, so
 * generic clients such as grpcurl or Postman can list, describe and call them.
 *
 * @grpc/reflection reads descriptors from a proto-loader package definition; this builds one
 * from the protobuf-es file descriptors instead of loading .proto files at runtime.
 */
import { toBinary, type DescFile, type DescMessage } from "@bufbuild/protobuf"
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt"
import type * as grpc from "@grpc/grpc-js"
import { ReflectionService } from "@grpc/reflection"
import type * as GrpcService from "./GrpcService.js"
import { toBuffer } from "./internal/binary.js"

/** The proto-loader package definition @grpc/reflection indexes. */
export type PackageDefinition = ConstructorParameters<typeof ReflectionService>[0]

/** The files declaring the services and everything they import, dependencies first. */
export const files = (services: ReadonlyArray<GrpcService.AnyService>): ReadonlyArray<DescFile> => {
  const seen = new Set<string>()
  const ordered: Array<DescFile> = []
  const visit = (file: DescFile): void => {
    if (seen.has(file.name)) return
    seen.add(file.name)
    file.dependencies.forEach(visit)
    ordered.push(file)
  }
  for (const service of services) visit(service.file)
  return ordered
}

const allMessages = (messages: ReadonlyArray<DescMessage>): Array<DescMessage> =>
  messages.flatMap((message) => [message, ...allMessages(message.nestedMessages)])

/**
 * A package definition in proto-loader's shape: one entry per message type, each carrying the
 * serialized FileDescriptorProtos. Every entry carries every file, so a file declaring only
 * services is still indexed (@grpc/reflection collects files from all entries).
 */
export const packageDefinition = (
  services: ReadonlyArray<GrpcService.AnyService>
): PackageDefinition => {
  const closure = files(services)
  const fileDescriptorProtos = closure.map((file) =>
    toBuffer(toBinary(FileDescriptorProtoSchema, file.proto))
  )
  const definition: PackageDefinition = {}
  for (const message of allMessages(closure.flatMap((file) => file.messages))) {
    definition[message.typeName] = {
      format: "Protocol Buffer 3 DescriptorProto",
      type: message.proto,
      fileDescriptorProtos
    }
  }
  return definition
}

/** A reflection service describing exactly `services` (and the types they use). */
export const make = (services: ReadonlyArray<GrpcService.AnyService>): ReflectionService =>
  new ReflectionService(packageDefinition(services), {
    services: services.map((service) => service.typeName)
  })

/** Registers reflection (`v1` and `v1alpha`) for `services` on a server. */
export const addToServer = (
  server: Pick<grpc.Server, "addService">,
  services: ReadonlyArray<GrpcService.AnyService>
): void => make(services).addToServer(server)
