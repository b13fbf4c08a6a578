import { DfoMetrics } from "../src/index.js"
import { assert, layer } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { client, emulatorLayer, received, setup } from "./utils.js"

/** The process-wide counter of one method and status. */
const requests = (method: string, status: string) =>
  Metric.value(
    Metric.tagged(Metric.tagged(DfoMetrics.requests, "method", method), "status", status)
  ).pipe(Effect.map((state) => state.count))

layer(emulatorLayer, { excludeTestServices: true })("DfoMetrics against the emulator", (it) => {
  it.effect("a write counts as PUT (SAP_UPDATE_METHOD's default), a health probe as GET", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      const before = {
        put: yield* requests("PUT", "200"),
        get: yield* requests("GET", "404")
      }
      yield* dfo.write("00100002", { epost: "metrics@uni.example.no" })
      yield* dfo.probe()
      assert.deepStrictEqual(
        received(emu).map((e) => `${e.method} ${e.status}`),
        ["PUT 200", "GET 404"]
      )
      assert.strictEqual((yield* requests("PUT", "200")) - before.put, 1)
      assert.strictEqual((yield* requests("GET", "404")) - before.get, 1)
    }).pipe(Effect.provide(client()))
  )

  it.effect("with SAP_UPDATE_METHOD=PATCH a write counts as PATCH", () =>
    Effect.gen(function* () {
      const { emu, dfo } = yield* setup
      emu.setFaults({ acceptPatch: true })
      const before = yield* requests("PATCH", "200")
      yield* dfo.write("00100002", { epost: "patch@uni.example.no" })
      assert.deepStrictEqual(
        received(emu).map((e) => e.method),
        ["PATCH"]
      )
      assert.strictEqual((yield* requests("PATCH", "200")) - before, 1)
    }).pipe(Effect.provide(client({ updateMethod: "PATCH" })))
  )
})
