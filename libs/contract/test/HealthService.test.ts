import { status } from "@grpc/grpc-js"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { GrpcClient, HealthService, HealthV1 } from "../src/index.js"
import { serve, unary, type TestServer } from "./utils.js"

const { SERVING, NOT_SERVING, SERVICE_UNKNOWN } = HealthV1.HealthCheckResponse_ServingStatus
type Response = HealthV1.HealthCheckResponse

const writeback = "dfo.writeback.v1.WritebackService"

describe("HealthService", () => {
  let server: TestServer
  let health: HealthService.HealthService
  let client: GrpcClient.Client<typeof HealthV1.Health>

  const check = (service: string) =>
    unary<Response>((callback) => client.check({ service }, callback)).then((r) => r.status)

  beforeAll(async () => {
    health = HealthService.make()
    server = await serve((s) => HealthService.addToServer(s, health))
    client = GrpcClient.make(HealthV1.Health, server.address)
  })
  afterAll(async () => {
    client.close()
    await server.close()
  })

  it("checks the server, set services, and rejects unknown ones with NOT_FOUND", async () => {
    assert.strictEqual(await check(""), SERVING)
    health.setStatus(writeback, "NOT_SERVING")
    assert.strictEqual(await check(writeback), NOT_SERVING)
    health.setStatus(writeback, "SERVING")
    assert.strictEqual(await check(writeback), SERVING)
    const error = await check("no.such.Service").then(
      () => assert.fail("Check of an unknown service succeeded"),
      (error: { code: number }) => error
    )
    assert.strictEqual(error.code, status.NOT_FOUND)
  })

  it("lists every status", async () => {
    health.setStatus(writeback, "SERVING")
    const list = await unary<HealthV1.HealthListResponse>((callback) => client.list({}, callback))
    assert.deepStrictEqual(
      Object.fromEntries(Object.entries(list.statuses).map(([name, r]) => [name, r.status])),
      { "": SERVING, [writeback]: SERVING }
    )
  })

  it("watches: the current status first, then each change once, SERVICE_UNKNOWN until set", async () => {
    const call = client.watch({ service: "later.Service" })
    const updates = call[Symbol.asyncIterator]()
    const next = async () => ((await updates.next()).value as Response).status

    assert.strictEqual(await next(), SERVICE_UNKNOWN)
    health.setStatus("later.Service", "SERVING")
    health.setStatus("later.Service", "SERVING")
    health.setStatus("later.Service", "NOT_SERVING")
    assert.strictEqual(await next(), SERVING)
    assert.strictEqual(await next(), NOT_SERVING)
    const cancelled = new Promise<number>((resolve) => call.on("status", (s) => resolve(s.code)))
    call.on("error", () => undefined)
    call.cancel()
    assert.strictEqual(await cancelled, status.CANCELLED)
  })

  it("shutdown turns everything NOT_SERVING and ends the watches, so tryShutdown finishes", async () => {
    const registry = HealthService.make({ "": "SERVING", [writeback]: "SERVING" })
    const local = await serve((s) => HealthService.addToServer(s, registry))
    const localClient = GrpcClient.make(HealthV1.Health, local.address)
    const call = localClient.watch({ service: writeback })
    const updates = call[Symbol.asyncIterator]()
    assert.strictEqual(((await updates.next()).value as Response).status, SERVING)

    registry.shutdown()
    assert.strictEqual(((await updates.next()).value as Response).status, NOT_SERVING)
    assert.isTrue((await updates.next()).done)
    registry.setStatus(writeback, "SERVING")
    assert.strictEqual(registry.getStatus(writeback), "NOT_SERVING")
    assert.strictEqual(registry.getStatus(""), "NOT_SERVING")

    localClient.close()
    await local.close()
  })

  it("refuses Watch calls over maxWatches with RESOURCE_EXHAUSTED, counting them", async () => {
    const registry = HealthService.make({ "": "SERVING" }, { maxWatches: 3 })
    const local = await serve((s) => HealthService.addToServer(s, registry))
    const localClient = GrpcClient.make(HealthV1.Health, local.address)
    /** A Watch call: its first answer's status, or the code it ended with. */
    const watch = () => {
      const call = localClient.watch({ service: "" })
      const first = new Promise<{ status?: number; code?: number }>((resolve) => {
        call.once("data", (response: Response) => resolve({ status: response.status }))
        call.once("error", (error: { code: number }) => resolve({ code: error.code }))
      })
      return { call, first }
    }
    const open = [watch(), watch(), watch()]
    for (const { first } of open) assert.deepStrictEqual(await first, { status: SERVING })
    for (let i = 0; i < 2; i++) {
      assert.deepStrictEqual(await watch().first, { code: status.RESOURCE_EXHAUSTED })
    }
    assert.strictEqual(registry.takeRefusedWatches(), 2)
    assert.strictEqual(registry.takeRefusedWatches(), 0, "each refusal counted once")

    // A watch that ends frees its place.
    open[0]?.call.on("error", () => undefined)
    open[0]?.call.cancel()
    let again = await watch().first
    for (let i = 0; again.code !== undefined && i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      again = await watch().first
    }
    assert.deepStrictEqual(again, { status: SERVING })
    registry.shutdown()
    localClient.close()
    await local.close()
  })

  it("drain turns everything NOT_SERVING and holds it, while Check and Watch go on answering", async () => {
    const registry = HealthService.make({ "": "SERVING", [writeback]: "SERVING" })
    const local = await serve((s) => HealthService.addToServer(s, registry))
    const localClient = GrpcClient.make(HealthV1.Health, local.address)
    const call = localClient.watch({ service: "" })
    const updates = call[Symbol.asyncIterator]()
    assert.strictEqual(((await updates.next()).value as Response).status, SERVING)

    registry.drain()
    assert.strictEqual(((await updates.next()).value as Response).status, NOT_SERVING)
    registry.setStatus(writeback, "SERVING")
    const checked = await unary<Response>((callback) =>
      localClient.check({ service: writeback }, callback)
    )
    assert.strictEqual(checked.status, NOT_SERVING, "a late health check cannot undo the drain")

    registry.shutdown()
    assert.isTrue((await updates.next()).done, "shutdown ends the watches")
    localClient.close()
    await local.close()
  })
})
