import { create } from "@bufbuild/protobuf"
import { status } from "@grpc/grpc-js"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import {
  GrpcClient,
  GrpcService,
  KeyField,
  Outcome,
  SkipReason,
  WritebackEventSchema,
  WritebackRequestSchema,
  WritebackService,
  type WritebackEvent
} from "../src/index.js"
import { collect, serve, type TestServer } from "./utils.js"

// Test fixture: a WritebackService that echoes the request back as a run of `users` events;
// key_value "fail" ends the stream with UNAVAILABLE after the summary, as an aborted run does.
const handlers: GrpcService.Handlers<typeof WritebackService> = {
  writeback: (call) => {
    const request = call.request
    if (request.keyValue === "" && !request.processAll) {
      call.emit("error", { code: status.INVALID_ARGUMENT, details: "key_value is empty" })
      return
    }
    call.write({
      event: {
        case: "started",
        value: { runId: request.keyValue, logOnly: request.logOnly, processAll: request.processAll }
      }
    })
    for (let index = 0; index < request.maxUpdates; index++) {
      call.write(
        create(WritebackEventSchema, {
          event: {
            case: "user",
            value: {
              idautoId: `id-${index}`,
              username: `user${index}`,
              outcome: index % 2 === 0 ? Outcome.WOULD_UPDATE : Outcome.SKIPPED,
              skipReason: index % 2 === 0 ? SkipReason.UNSPECIFIED : SkipReason.NOT_IN_SAP,
              changes: [{ field: "epost", before: "", after: `user${index}@example.org` }],
              keptFields: ["brukerident"]
            }
          }
        })
      )
    }
    call.write({
      event: {
        case: "summary",
        value: {
          runId: request.keyValue,
          total: request.maxUpdates,
          aborted: request.keyValue === "fail",
          durationMs: 2n ** 40n
        }
      }
    })
    if (request.keyValue === "fail") {
      call.emit("error", { code: status.UNAVAILABLE, details: "SAP_UPDATE_FAILED: aborted" })
    } else {
      call.end()
    }
  },
  // Not exercised here: Apply is served by apps/server.
  apply: (call) => call.end()
}

describe("WritebackService through the adapter", () => {
  let server: TestServer
  let client: GrpcClient.Client<typeof WritebackService>

  beforeAll(async () => {
    server = await serve((s) => GrpcService.addService(s, WritebackService, handlers))
    client = GrpcClient.make(WritebackService, server.address)
  })
  afterAll(async () => {
    client.close()
    await server.close()
  })

  it("streams the events in order, decoded into protobuf-es messages", async () => {
    const { items, error } = await collect(
      client.writeback({
        keyField: KeyField.USERNAME,
        keyValue: "run-1",
        logOnly: true,
        maxUpdates: 50
      })
    )
    assert.isUndefined(error)
    assert.strictEqual(items.length, 52)
    const cases: ReadonlyArray<string | undefined> = items.map(
      (item: WritebackEvent) => item.event.case
    )
    assert.deepStrictEqual(cases, ["started", ...Array<string>(50).fill("user"), "summary"])

    const [started, first, second] = items
    assert.strictEqual(started?.$typeName, "dfo.writeback.v1.WritebackEvent")
    assert.deepInclude(started?.event.value, { runId: "run-1", logOnly: true, processAll: false })
    assert(first?.event.case === "user" && second?.event.case === "user")
    assert.strictEqual(first.event.value.idautoId, "id-0")
    assert.strictEqual(first.event.value.outcome, Outcome.WOULD_UPDATE)
    assert.deepStrictEqual(
      first.event.value.changes.map(({ field, before, after }) => ({ field, before, after })),
      [{ field: "epost", before: "", after: "user0@example.org" }]
    )
    assert.deepStrictEqual(first.event.value.keptFields, ["brukerident"])
    assert.strictEqual(second.event.value.skipReason, SkipReason.NOT_IN_SAP)
    const ids = items.flatMap((item) =>
      item.event.case === "user" ? [item.event.value.idautoId] : []
    )
    assert.deepStrictEqual(
      ids,
      Array.from({ length: 50 }, (_, index) => `id-${index}`)
    )

    const summary = items.at(-1)?.event
    assert(summary?.case === "summary")
    assert.strictEqual(summary.value.total, 50)
    assert.strictEqual(summary.value.durationMs, 2n ** 40n)
  })

  it("delivers the events written before a failure, then the status", async () => {
    const { items, error } = await collect(client.writeback({ keyValue: "fail", maxUpdates: 1 }))
    assert.deepStrictEqual(
      items.map((item) => item.event.case),
      ["started", "user", "summary"]
    )
    assert.strictEqual(error?.code, status.UNAVAILABLE)
    assert.strictEqual(error?.details, "SAP_UPDATE_FAILED: aborted")
  })

  it("passes a handler's status through without events", async () => {
    const { items, error } = await collect(client.writeback({ keyField: KeyField.USERNAME }))
    assert.strictEqual(items.length, 0)
    assert.strictEqual(error?.code, status.INVALID_ARGUMENT)
  })

  it("accepts a message built with create as the request", async () => {
    const request = create(WritebackRequestSchema, { processAll: true, maxUpdates: 2 })
    const { items, error } = await collect(client.writeback(request))
    assert.isUndefined(error)
    assert.strictEqual(items.length, 4)
    assert.deepInclude(items[0]?.event.value, { processAll: true })
  })
})
