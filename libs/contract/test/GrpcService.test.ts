import { create, toBinary, type Message } from "@bufbuild/protobuf"
import {
  fileDesc,
  messageDesc,
  serviceDesc,
  type GenMessage,
  type GenService
} from "@bufbuild/protobuf/codegenv2"
import { base64Encode } from "@bufbuild/protobuf/wire"
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema
} from "@bufbuild/protobuf/wkt"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import { GrpcClient, GrpcService, HealthV1, ReflectionV1, WritebackService } from "../src/index.js"
import { collect, serve, unary, type TestServer } from "./utils.js"

// Our protos have no client- or bidi-streaming method of our own, so this fixture builds one
// service with every kind, the way generated code does (fileDesc + messageDesc + serviceDesc).
const kindsFile = fileDesc(
  base64Encode(
    toBinary(
      FileDescriptorProtoSchema,
      create(FileDescriptorProtoSchema, {
        name: "test/kinds/v1/kinds.proto",
        package: "test.kinds.v1",
        syntax: "proto3",
        messageType: [
          {
            name: "Num",
            field: [
              {
                name: "value",
                number: 1,
                type: FieldDescriptorProto_Type.INT32,
                label: FieldDescriptorProto_Label.OPTIONAL
              }
            ]
          }
        ],
        service: [
          {
            name: "KindsService",
            method: [
              { name: "Double", inputType: ".test.kinds.v1.Num", outputType: ".test.kinds.v1.Num" },
              {
                name: "Count",
                inputType: ".test.kinds.v1.Num",
                outputType: ".test.kinds.v1.Num",
                serverStreaming: true
              },
              {
                name: "Sum",
                inputType: ".test.kinds.v1.Num",
                outputType: ".test.kinds.v1.Num",
                clientStreaming: true
              },
              {
                name: "Echo",
                inputType: ".test.kinds.v1.Num",
                outputType: ".test.kinds.v1.Num",
                clientStreaming: true,
                serverStreaming: true
              }
            ]
          }
        ]
      })
    )
  )
)
type Num = Message<"test.kinds.v1.Num"> & { value: number }
const NumSchema: GenMessage<Num> = messageDesc(kindsFile, 0)
const KindsService: GenService<{
  double: { methodKind: "unary"; input: typeof NumSchema; output: typeof NumSchema }
  count: { methodKind: "server_streaming"; input: typeof NumSchema; output: typeof NumSchema }
  sum: { methodKind: "client_streaming"; input: typeof NumSchema; output: typeof NumSchema }
  echo: { methodKind: "bidi_streaming"; input: typeof NumSchema; output: typeof NumSchema }
}> = serviceDesc(kindsFile, 0)

const flags = (method: { requestStream: boolean; responseStream: boolean; path: string }) => [
  method.path,
  method.requestStream,
  method.responseStream
]

describe("GrpcService.definition", () => {
  it("takes path and streaming flags from each method's descriptor", () => {
    const kinds = GrpcService.definition(KindsService)
    assert.deepStrictEqual(Object.keys(kinds), ["double", "count", "sum", "echo"])
    assert.deepStrictEqual(flags(kinds.double), [
      "/test.kinds.v1.KindsService/Double",
      false,
      false
    ])
    assert.deepStrictEqual(flags(kinds.count), ["/test.kinds.v1.KindsService/Count", false, true])
    assert.deepStrictEqual(flags(kinds.sum), ["/test.kinds.v1.KindsService/Sum", true, false])
    assert.deepStrictEqual(flags(kinds.echo), ["/test.kinds.v1.KindsService/Echo", true, true])
    assert.strictEqual(kinds.echo.originalName, "Echo")

    const writeback = GrpcService.definition(WritebackService)
    assert.deepStrictEqual(flags(writeback.writeback), [
      "/dfo.writeback.v1.WritebackService/Writeback",
      false,
      true
    ])
    const health = GrpcService.definition(HealthV1.Health)
    assert.deepStrictEqual(flags(health.check), ["/grpc.health.v1.Health/Check", false, false])
    assert.deepStrictEqual(flags(health.watch), ["/grpc.health.v1.Health/Watch", false, true])
    const reflection = GrpcService.definition(ReflectionV1.ServerReflection)
    assert.deepStrictEqual(flags(reflection.serverReflectionInfo), [
      "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      true,
      true
    ])
  })

  it("serializes messages and init shapes alike, and decodes into messages", () => {
    const { requestSerialize, requestDeserialize } = GrpcService.definition(KindsService).double
    const bytes = requestSerialize({ value: 7 })
    assert.deepStrictEqual(bytes, requestSerialize(create(NumSchema, { value: 7 })))
    const decoded = requestDeserialize(bytes)
    assert.strictEqual(decoded.$typeName, "test.kinds.v1.Num")
    assert.strictEqual((decoded as Num).value, 7)
  })
})

describe("every method kind over a real socket", () => {
  let server: TestServer
  let client: GrpcClient.Client<typeof KindsService>
  let handled = 0

  beforeAll(async () => {
    server = await serve((s) =>
      GrpcService.addService(s, KindsService, {
        double: (call, callback) => {
          handled += 1
          callback(null, { value: call.request.value * 2 })
        },
        count: (call) => {
          handled += 1
          for (let value = 0; value < call.request.value; value++) call.write({ value })
          call.end()
        },
        sum: (call, callback) => {
          let total = 0
          call.on("data", (num: Num) => (total += num.value))
          call.on("end", () => callback(null, { value: total }))
        },
        echo: (call) => {
          call.on("data", (num: Num) => call.write({ value: num.value + 1 }))
          call.on("end", () => call.end())
        }
      })
    )
    client = GrpcClient.make(KindsService, server.address)
  })
  afterAll(async () => {
    client.close()
    await server.close()
  })

  it("unary", async () => {
    const reply = await unary<Num>((callback) => client.double({ value: 21 }, callback))
    assert.strictEqual(reply.value, 42)
  })

  it("server streaming", async () => {
    const { items, error } = await collect(client.count({ value: 3 }))
    assert.isUndefined(error)
    assert.deepStrictEqual(
      items.map((num) => num.value),
      [0, 1, 2]
    )
  })

  it("client streaming", async () => {
    const reply = await unary<Num>((callback) => {
      const call = client.sum(callback)
      for (const value of [1, 2, 3, 4]) call.write({ value })
      call.end()
    })
    assert.strictEqual(reply.value, 10)
  })

  it("bidirectional streaming", async () => {
    const call = client.echo()
    for (const value of [1, 2, 3]) call.write({ value })
    call.end()
    const { items, error } = await collect(call)
    assert.isUndefined(error)
    assert.deepStrictEqual(
      items.map((num) => num.value),
      [2, 3, 4]
    )
  })

  it("an undecodable request is INVALID_ARGUMENT, not INTERNAL, and reaches no handler", async () => {
    // Field 1 with wire type 7, which does not exist: no protobuf decoder accepts it.
    const garbage = Buffer.from([0x0f, 0xff, 0xff, 0xff])
    const raw = new grpc.Client(server.address, grpc.credentials.createInsecure())
    const bytes = (b: Buffer) => b
    const before = handled
    try {
      const unaryError = await new Promise<grpc.ServiceError | null>((resolve) =>
        raw.makeUnaryRequest("/test.kinds.v1.KindsService/Double", bytes, bytes, garbage, (error) =>
          resolve(error)
        )
      )
      assert.strictEqual(unaryError?.code, grpc.status.INVALID_ARGUMENT)
      assert.include(unaryError?.details, "not a valid test.kinds.v1.Num message")
      const { items, error } = await collect(
        raw.makeServerStreamRequest("/test.kinds.v1.KindsService/Count", bytes, bytes, garbage)
      )
      assert.deepStrictEqual(items, [])
      assert.strictEqual(error?.code, grpc.status.INVALID_ARGUMENT)
      assert.strictEqual(handled, before)
    } finally {
      raw.close()
    }
  })

  it("shares one client class per descriptor", () => {
    assert.strictEqual(
      GrpcClient.clientConstructor(KindsService),
      GrpcClient.clientConstructor(KindsService)
    )
    assert.strictEqual(
      GrpcClient.clientConstructor(KindsService).serviceName,
      "test.kinds.v1.KindsService"
    )
  })
})
