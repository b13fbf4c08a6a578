import { HealthV1, KeyField, WritebackService } from "@dfo-writeback/contract"
import { Poll } from "@dfo-writeback/testkit"
import { assert, layer } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import * as net from "node:net"
import { Context, Effect, Layer } from "effect"
import * as Fixture from "./utils/fixture.js"
import { bearer, client, eventually, unary, writeback } from "./utils/grpc.js"
import * as ServerProcess from "./utils/ServerProcess.js"

const { SERVING, NOT_SERVING } = HealthV1.HealthCheckResponse_ServingStatus

class Backends extends Context.Tag("server-test/HealthBackends")<
  Backends,
  Effect.Effect.Success<typeof Fixture.backends>
>() {}

/** Checks fast, so a test sees a change within a second. */
const fastChecks = { GRPC_HEALTH_CHECK_INTERVAL_MS: "200" }

/** One Check on a fresh connection: the status, or the error (e.g. the connection refused). */
const check = (address: string, service: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const health = yield* client(HealthV1.Health, address)
      const { value, error } = yield* unary<HealthV1.HealthCheckResponse>((done) =>
        health.check({ service }, { deadline: Date.now() + 3_000 }, done)
      )
      return error === null ? { status: value?.status } : { error: error.code }
    })
  )

const statusOf = (address: string, service = WritebackService.typeName) =>
  Effect.map(check(address, service), (answer) => answer.status)

const waitForStatus = (
  address: string,
  wanted: HealthV1.HealthCheckResponse_ServingStatus,
  what: string
) =>
  Poll.until(
    Effect.map(statusOf(address), (status) => status === wanted),
    { what, timeout: "15 seconds", interval: "50 millis" }
  ).pipe(Effect.orDie)

/** Whether this host has IPv6 loopback (many containers switch IPv6 off). */
const ipv6 = Effect.async<boolean>((resume) => {
  const probe = net.createServer()
  probe.once("error", () => resume(Effect.succeed(false)))
  probe.listen(0, "::1", () => probe.close(() => resume(Effect.succeed(true))))
})

const healthLines = (server: ServerProcess.ServerProcess) =>
  server.logs().filter((line) => String(line["message"]).startsWith("health: "))

layer(Layer.scoped(Backends, Fixture.backends), {
  excludeTestServices: true,
  timeout: "90 seconds"
})("Health", (it) => {
  it.scoped("WritebackService is NOT_SERVING while LDAP is down, SERVING once it is back", () =>
    Effect.gen(function* () {
      const { testbed, emulator } = yield* Backends
      emulator.reset()
      const server = yield* ServerProcess.scoped(Fixture.serverEnv(testbed, emulator, fastChecks))
      assert.strictEqual(
        server.logs().find((l) => l["message"] === "listening")?.["health"],
        "SERVING"
      )
      assert.strictEqual(yield* statusOf(server.address), SERVING)

      yield* Effect.promise(() => testbed.kill())
      yield* waitForStatus(server.address, NOT_SERVING, "NOT_SERVING with LDAP down")
      assert.strictEqual(yield* statusOf(server.address, ""), SERVING, "the process still runs")
      const down = healthLines(server).at(-1)
      assert.strictEqual(down?.["message"], "health: NOT_SERVING")
      assert.match(String(down?.["problems"]), /^ldap: LDAP_CONNECTION_FAILED/)

      yield* Effect.promise(() => testbed.restart())
      yield* waitForStatus(server.address, SERVING, "SERVING with LDAP back")
      assert.strictEqual(healthLines(server).at(-1)?.["message"], "health: SERVING")
    })
  )

  it.scoped("WritebackService is NOT_SERVING while the DFØ probe fails, and says why", () =>
    Effect.gen(function* () {
      const { testbed, emulator } = yield* Backends
      emulator.reset()
      const refused = yield* ServerProcess.scoped(
        Fixture.serverEnv(testbed, emulator, { ...fastChecks, SAP_API_KEY: "not-the-key" })
      )
      assert.strictEqual(
        refused.logs().find((l) => l["message"] === "listening")?.["health"],
        "NOT_SERVING",
        "known before the server listens"
      )
      assert.strictEqual(yield* statusOf(refused.address), NOT_SERVING)
      assert.match(String(healthLines(refused).at(-1)?.["problems"]), /^dfo: .*refused the API key/)
      assert.notInclude(refused.output(), "not-the-key")
      yield* Effect.promise(() => refused.stop())

      emulator.reset()
      const server = yield* ServerProcess.scoped(Fixture.serverEnv(testbed, emulator, fastChecks))
      assert.strictEqual(yield* statusOf(server.address), SERVING)
      emulator.script({ method: "GET", path: "/00000000", status: 503, times: 1_000_000 })
      yield* waitForStatus(server.address, NOT_SERVING, "NOT_SERVING while DFØ answers 503")
      emulator.clearScripts()
      yield* waitForStatus(server.address, SERVING, "SERVING once DFØ answers again")
      const probes = emulator
        .log()
        .filter((entry) => entry.path === `${emulator.basePath}/00000000`)
      assert.isAbove(probes.length, 2)
      assert.isTrue(probes.every((entry) => entry.method === "GET"))
    })
  )

  it.scoped(
    "on SIGTERM health answers NOT_SERVING before the listener closes, and no new run starts",
    () =>
      Effect.gen(function* () {
        const { testbed, emulator } = yield* Backends
        emulator.reset()
        const server = yield* ServerProcess.scoped(
          Fixture.serverEnv(testbed, emulator, { GRPC_SHUTDOWN_DRAIN_MS: "3000" })
        )
        const watcher = yield* client(HealthV1.Health, server.address)
        const seen: Array<HealthV1.HealthCheckResponse_ServingStatus> = []
        const watch = watcher.watch({ service: "" })
        watch.on("data", (response: HealthV1.HealthCheckResponse) => seen.push(response.status))
        watch.on("error", () => undefined)
        yield* eventually(() => seen.includes(SERVING), "the first Watch answer")

        server.child.kill("SIGTERM")
        yield* eventually(() => seen.includes(NOT_SERVING), "NOT_SERVING on the Watch")
        // A new connection is still accepted, and told NOT_SERVING: the listener is open.
        assert.deepStrictEqual(yield* check(server.address, ""), { status: NOT_SERVING })
        assert.deepStrictEqual(yield* check(server.address, WritebackService.typeName), {
          status: NOT_SERVING
        })
        const late = yield* writeback(
          yield* client(WritebackService, server.address),
          {
            processAll: true,
            logOnly: true
          },
          { metadata: bearer() }
        )
        assert.strictEqual(late.error?.code, grpc.status.UNAVAILABLE)
        assert.match(late.error?.details ?? "", /^SHUTTING_DOWN: /)

        // Then the listener closes: a new connection is refused.
        yield* eventually(
          () => server.child.exitCode !== null,
          "the server to exit after the drain delay",
          20_000
        )
        assert.strictEqual(yield* Effect.promise(() => server.exited), 0)
        assert.deepStrictEqual(yield* check(server.address, ""), { error: grpc.status.UNAVAILABLE })
        assert.deepStrictEqual(
          emulator.log().filter((entry) => !entry.path.endsWith("/00000000")),
          [],
          "the refused call read nothing"
        )
      })
  )

  it.scoped("calls queued on SAP_MAX_RPS do not hold up the DFØ probe: still SERVING", () =>
    Effect.gen(function* () {
      const { testbed, emulator } = yield* Backends
      emulator.reset()
      const server = yield* ServerProcess.scoped(
        Fixture.serverEnv(testbed, emulator, {
          ...fastChecks,
          // One DFØ request a second; a probe that waited its turn would time out.
          SAP_MAX_RPS: "1",
          SAP_TIMEOUT_MS: "1000",
          GRPC_SHUTDOWN_GRACE_MS: "200"
        })
      )
      assert.strictEqual(yield* statusOf(server.address), SERVING)
      const users = yield* client(WritebackService, server.address)
      // 40 single-user dry runs, one DFØ read each: 40 s of queue on the limiter.
      const calls = Array.from({ length: 40 }, () => {
        const call = users.writeback(
          { keyField: KeyField.USERNAME, keyValue: Fixture.alice.username, logOnly: true },
          bearer()
        )
        call.on("data", () => undefined)
        call.on("error", () => undefined)
        return call
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => calls.forEach((call) => call.cancel())))
      const reads = () =>
        emulator.log().filter((e) => e.path === `${emulator.basePath}/${Fixture.alice.sapId}`)
      const probes = () =>
        emulator.log().filter((e) => e.path === `${emulator.basePath}/00000000`).length
      yield* eventually(() => reads().length > 0, "the first user's read")
      const before = probes()
      yield* eventually(() => probes() >= before + 3, "three probes while the users queue")
      assert.isBelow(reads().length, calls.length, "the users still queue")
      assert.strictEqual(yield* statusOf(server.address), SERVING)
      assert.isFalse(healthLines(server).some((l) => l["message"] === "health: NOT_SERVING"))
    })
  )

  it.scoped("Watch calls over the limit get RESOURCE_EXHAUSTED, summed in one line", () =>
    Effect.gen(function* () {
      const { testbed, emulator } = yield* Backends
      emulator.reset()
      const server = yield* ServerProcess.scoped(Fixture.serverEnv(testbed, emulator, fastChecks))
      const watcher = yield* client(HealthV1.Health, server.address)
      const watch = () => {
        const call = watcher.watch({ service: "" })
        const first = new Promise<{ status?: number; code?: number }>((resolve) => {
          call.once("data", (r: HealthV1.HealthCheckResponse) => resolve({ status: r.status }))
          call.once("error", (error: grpc.ServiceError) => resolve({ code: error.code }))
        })
        return { call, first }
      }
      // The server's fixed limit is 100 open Watch calls.
      const open = Array.from({ length: 100 }, watch)
      yield* Effect.addFinalizer(() => Effect.sync(() => open.forEach((w) => w.call.cancel())))
      for (const { first } of open) {
        assert.deepStrictEqual(yield* Effect.promise(() => first), { status: SERVING })
      }
      const over = Array.from({ length: 30 }, watch)
      for (const { first } of over) {
        assert.deepStrictEqual(yield* Effect.promise(() => first), {
          code: grpc.status.RESOURCE_EXHAUSTED
        })
      }
      const refusals = () =>
        server.logs().filter((l) => l["message"] === "health: Watch calls refused")
      const counted = () => refusals().reduce((sum, l) => sum + Number(l["refused"]), 0)
      yield* eventually(() => counted() === 30, "the refusals counted in the log")
      assert.isBelow(refusals().length, 30, "never one line per refusal")
      assert.strictEqual(refusals()[0]?.["max_watches"], 100)
      assert.isFalse(
        server.logs().some((l) => l["status"] === "RESOURCE_EXHAUSTED"),
        "no call line per refused Watch"
      )
      assert.strictEqual(yield* statusOf(server.address, ""), SERVING, "Check still answers")
    })
  )

  it.scoped("GRPC_LISTEN binds every interface with 0.0.0.0:port, [::]:port and :port", () =>
    Effect.gen(function* () {
      const { testbed, emulator } = yield* Backends
      const withIpv6 = yield* ipv6
      if (!withIpv6) console.log("no IPv6 on this host: [::]:0 is not tried, :0 over IPv4 only")
      for (const listen of withIpv6 ? ["0.0.0.0:0", "[::]:0", ":0"] : ["0.0.0.0:0", ":0"]) {
        const server = yield* ServerProcess.scoped(
          Fixture.serverEnv(testbed, emulator, { GRPC_LISTEN: listen })
        )
        const port = server.address.slice(server.address.lastIndexOf(":") + 1)
        const targets = listen === "0.0.0.0:0" || !withIpv6 ? ["127.0.0.1"] : ["127.0.0.1", "[::1]"]
        for (const host of targets) {
          assert.deepStrictEqual(
            yield* check(`${host}:${port}`, ""),
            { status: SERVING },
            `${listen} reached over ${host}`
          )
        }
        yield* Effect.promise(() => server.stop())
      }
    })
  )
})
