import { create, createFileRegistry, fromBinary } from "@bufbuild/protobuf"
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt"
import * as grpc from "@grpc/grpc-js"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import {
  GrpcClient,
  GrpcService,
  HealthService,
  HealthV1,
  ReflectionV1,
  ServerReflection,
  WritebackService
} from "../src/index.js"
import { collect, serve, type TestServer } from "./utils.js"

type ReflectionClient = GrpcClient.Client<typeof ReflectionV1.ServerReflection>
type Request = ReflectionV1.ServerReflectionRequest["messageRequest"]

/** Sends each request on one reflection stream and returns the responses, as grpcurl does. */
const ask = async (client: ReflectionClient, requests: ReadonlyArray<Request>) => {
  const call = client.serverReflectionInfo()
  for (const messageRequest of requests) call.write({ host: "", messageRequest })
  call.end()
  const { items, error } = await collect(call)
  assert.isUndefined(error)
  return items.map((item) => item.messageResponse)
}

const files = (response: ReflectionV1.ServerReflectionResponse["messageResponse"] | undefined) => {
  assert(response?.case === "fileDescriptorResponse", `no files: ${JSON.stringify(response)}`)
  return response.value.fileDescriptorProto.map((bytes) =>
    fromBinary(FileDescriptorProtoSchema, bytes)
  )
}

describe("ServerReflection", () => {
  let server: TestServer
  let client: ReflectionClient

  beforeAll(async () => {
    server = await serve((s) => {
      GrpcService.addService(s, WritebackService, {
        writeback: (call) => {
          call.write({ event: { case: "started", value: { runId: call.request.keyValue } } })
          call.end()
        },
        apply: (call) => call.end()
      })
      HealthService.addToServer(s, HealthService.make())
      ServerReflection.addToServer(s, [
        WritebackService,
        HealthV1.Health,
        ReflectionV1.ServerReflection
      ])
    })
    client = GrpcClient.make(ReflectionV1.ServerReflection, server.address)
  })
  afterAll(async () => {
    client.close()
    await server.close()
  })

  it("lists the services (grpcurl list)", async () => {
    const [response] = await ask(client, [{ case: "listServices", value: "*" }])
    assert(response?.case === "listServicesResponse")
    assert.deepStrictEqual(response.value.service.map((service) => service.name).sort(), [
      "dfo.writeback.v1.WritebackService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection"
    ])
  })

  it("describes the service, a method and a message (grpcurl describe)", async () => {
    const responses = await ask(client, [
      { case: "fileContainingSymbol", value: "dfo.writeback.v1.WritebackService" },
      { case: "fileContainingSymbol", value: "dfo.writeback.v1.WritebackService.Writeback" },
      { case: "fileContainingSymbol", value: "dfo.writeback.v1.RunSummary" },
      { case: "fileByFilename", value: "grpc/health/v1/health.proto" },
      { case: "fileContainingSymbol", value: "dfo.writeback.v1.Nothing" }
    ])
    const [service, method, message, health, missing] = responses

    const [file] = files(service)
    assert.strictEqual(file?.name, "dfo/writeback/v1/writeback.proto")
    assert.strictEqual(file?.package, "dfo.writeback.v1")
    const [writeback] = file?.service ?? []
    assert.strictEqual(writeback?.name, "WritebackService")
    assert.deepInclude(writeback?.method[0], {
      name: "Writeback",
      inputType: ".dfo.writeback.v1.WritebackRequest",
      outputType: ".dfo.writeback.v1.WritebackEvent",
      serverStreaming: true,
      clientStreaming: false
    })
    assert.strictEqual(files(method)[0]?.name, "dfo/writeback/v1/writeback.proto")
    assert.strictEqual(files(message)[0]?.name, "dfo/writeback/v1/writeback.proto")
    assert.strictEqual(files(health)[0]?.service[0]?.name, "Health")
    assert(missing?.case === "errorResponse")
    assert.strictEqual(missing.value.errorCode, grpc.status.NOT_FOUND)
  })

  it("gives a dynamic client all it needs to call Writeback, as grpcurl does", async () => {
    const [response] = await ask(client, [
      { case: "fileContainingSymbol", value: "dfo.writeback.v1.WritebackService" }
    ])
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: files(response) }))
    const service = registry.getService("dfo.writeback.v1.WritebackService")
    assert(service !== undefined)
    assert.strictEqual(service.method["writeback"]?.methodKind, "server_streaming")
    // Structurally WritebackService (checked above); typed as it to make the call.
    const dynamic = GrpcClient.make(service, server.address) as unknown as GrpcClient.Client<
      typeof WritebackService
    >
    const { items, error } = await collect(dynamic.writeback({ keyValue: "via-reflection" }))
    dynamic.close()
    assert.isUndefined(error)
    assert(items[0]?.event.case === "started")
    assert.strictEqual(items[0].event.value.runId, "via-reflection")
  })

  it("also answers v1alpha, which older grpcurl versions use", async () => {
    const v1 = GrpcService.definition(ReflectionV1.ServerReflection)
    const v1alpha = {
      serverReflectionInfo: {
        ...v1.serverReflectionInfo,
        path: "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
      }
    }
    const Constructor = grpc.makeGenericClientConstructor(
      v1alpha,
      "grpc.reflection.v1alpha.ServerReflection"
    )
    // Same messages on the wire as v1; only the path differs.
    const alpha = new Constructor(
      server.address,
      grpc.credentials.createInsecure()
    ) as unknown as ReflectionClient
    const [response] = await ask(alpha, [{ case: "listServices", value: "*" }])
    alpha.close()
    assert(response?.case === "listServicesResponse")
    assert.include(
      response.value.service.map((service) => service.name),
      "dfo.writeback.v1.WritebackService"
    )
  })
})
