import { HealthV1, WritebackService } from "@dfo-writeback/contract"
import { assert, layer } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import { Context, Effect, Layer } from "effect"
import * as Fixture from "./utils/fixture.js"
import { client, eventually, start, writeback } from "./utils/grpc.js"
import * as ServerProcess from "./utils/ServerProcess.js"

class Backends extends Context.Tag("server-test/Backends")<
  Backends,
  Effect.Effect.Success<typeof Fixture.backends>
>() {}

const fullRun = { processAll: true }

/** Health status changes seen on a Watch stream. */
const watchHealth = (address: string) =>
  Effect.gen(function* () {
    const c = yield* client(HealthV1.Health, address)
    const seen: Array<HealthV1.HealthCheckResponse_ServingStatus> = []
    const watch = c.watch({ service: WritebackService.typeName })
    watch.on("data", (response: HealthV1.HealthCheckResponse) => seen.push(response.status))
    watch.on("error", () => undefined)
    return seen
  })

layer(Layer.scoped(Backends, Fixture.backends), {
  excludeTestServices: true,
  timeout: "60 seconds"
})("Shutdown", (it) => {
  it.scoped(
    "drains on SIGTERM: NOT_SERVING, no new calls, the running stream finishes, exit 0",
    () =>
      Effect.gen(function* () {
        const { testbed, emulator } = yield* Backends
        emulator.reset()
        emulator.setFaults({ latencyMs: 150 })
        const server = yield* ServerProcess.scoped(Fixture.serverEnv(testbed, emulator))
        const health = yield* watchHealth(server.address)
        const c = yield* client(WritebackService, server.address)
        const running = start(c, fullRun)
        yield* eventually(
          () => running.events.some((e) => e.event.case === "user"),
          "the run's users"
        )

        server.child.kill("SIGTERM")
        yield* eventually(
          () => health.includes(HealthV1.HealthCheckResponse_ServingStatus.NOT_SERVING),
          "NOT_SERVING"
        )
        const late = yield* writeback(
          yield* client(WritebackService, server.address),
          { processAll: true, logOnly: true },
          { deadlineMs: 2_000 }
        )
        assert.strictEqual(late.error?.code, grpc.status.UNAVAILABLE, "new calls are refused")
        assert.isFalse(running.ended(), "the running stream outlives the signal")

        const answer = yield* Effect.promise(() => running.answer)
        assert.isUndefined(answer.error)
        const summary = answer.events.at(-1)?.event
        assert(summary?.case === "summary")
        assert.strictEqual(summary.value.total, Fixture.directorySize)
        assert.strictEqual(yield* Effect.promise(() => server.exited), 0)
        const messages = server.logs().map((line) => line["message"])
        assert.include(messages, "draining")
        assert.include(messages, "stopped")
      })
  )

  it.scoped("cancels running calls after the grace period and still exits 0", () =>
    Effect.gen(function* () {
      const { testbed, emulator } = yield* Backends
      emulator.reset()
      emulator.setFaults({ latencyMs: 400 })
      const server = yield* ServerProcess.scoped(
        Fixture.serverEnv(testbed, emulator, { GRPC_SHUTDOWN_GRACE_MS: "300" })
      )
      const c = yield* client(WritebackService, server.address)
      const running = start(c, fullRun)
      yield* eventually(
        () => running.events.some((e) => e.event.case === "user"),
        "the run's users"
      )

      const signalledAt = Date.now()
      server.child.kill("SIGTERM")
      const answer = yield* Effect.promise(() => running.answer)
      assert.strictEqual(answer.error?.code, grpc.status.UNAVAILABLE)
      assert.match(answer.error?.details ?? "", /^SHUTTING_DOWN: /)
      assert.strictEqual(yield* Effect.promise(() => server.exited), 0)
      assert.isBelow(Date.now() - signalledAt, 5_000)

      // The server has exited: every request it made is over and in the emulator's log.
      const late = emulator
        .log()
        .filter((entry) => entry.method === "PUT" && entry.time > signalledAt + 1_300)
      assert.deepStrictEqual(late, [])
      assert.isTrue(
        server.logs().some((line) => String(line["message"]).startsWith("run cancelled")),
        "the run logs itself cancelled"
      )
    })
  )
})
