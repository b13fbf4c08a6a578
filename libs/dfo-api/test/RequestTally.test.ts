import { DfoEmployees, RequestTally } from "../src/index.js"
import { DfoEmulator } from "@dfo-writeback/dfo-emulator"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { client, emulatorLayer, failureOf, received, setup } from "./utils.js"

layer(emulatorLayer, { excludeTestServices: true })("RequestTally", (it) => {
  it.effect("counts a fiber's requests, retries and 429s, as the emulator saw them", () =>
    Effect.gen(function* () {
      const { emu, dfo, counted } = yield* setup
      emu.script(
        { method: "GET", path: "/00100001", status: 503, times: 2 },
        { method: "GET", path: "", status: 429, headers: { "Retry-After": "0" } },
        { method: "PUT", path: "/00100003", status: 429 }
      )
      const tally = RequestTally.empty()
      yield* Effect.gen(function* () {
        yield* dfo.get("00100001")
        yield* dfo.list()
        yield* dfo.write("00100002", { epost: "t@uni.example.no" })
        failureOf(yield* Effect.exit(dfo.write("00100003", { epost: "t@uni.example.no" })))
        // Nothing sent, nothing counted.
        failureOf(yield* Effect.exit(dfo.get("123456789")))
        yield* dfo.write("00100002", {})
      }).pipe(RequestTally.into(tally))

      assert.deepStrictEqual(
        received(emu).map((e) => `${e.method} ${e.path} ${e.status}`),
        [
          "GET /00100001 503",
          "GET /00100001 503",
          "GET /00100001 200",
          "GET  429",
          "GET  200",
          "PUT /00100002 200",
          "PUT /00100003 429"
        ]
      )
      assert.deepStrictEqual(tally, { requests: 7, retries: 3, rateLimited: 2 })
      const stats = yield* counted
      assert.deepStrictEqual(stats.requests, { GET: 5, PUT: 2, PATCH: 0 })
      assert.strictEqual(stats.retries, 3)
      assert.strictEqual(stats.rateLimited, 2)
    }).pipe(Effect.provide(client()))
  )

  it.effect("each fiber counts only its own; forked work counts into its parent's tally", () =>
    Effect.gen(function* () {
      const { emu, dfo, counted } = yield* setup
      emu.script({ method: "GET", path: "/00100004", status: 502 })
      const first = RequestTally.empty()
      const second = RequestTally.empty()
      yield* Effect.all(
        [
          Effect.all([dfo.get("00100001"), dfo.get("00100002"), dfo.get("00100003")], {
            concurrency: "unbounded"
          }).pipe(RequestTally.into(first)),
          dfo.get("00100004").pipe(RequestTally.into(second)),
          // Outside any tally: counted by the emulator and the metrics only.
          dfo.list()
        ],
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(first, { requests: 3, retries: 0, rateLimited: 0 })
      assert.deepStrictEqual(second, { requests: 2, retries: 1, rateLimited: 0 })
      assert.strictEqual(emu.stats().requests, 6)
      assert.strictEqual((yield* counted).requests.GET, 6)
    }).pipe(Effect.provide(client()))
  )

  it.effect("the tally is per run, not per client: two clients count into one tally", () =>
    Effect.gen(function* () {
      const emu = yield* DfoEmulator
      emu.reset()
      const tally = RequestTally.empty()
      const one = Effect.flatMap(DfoEmployees.DfoEmployees, (dfo) => dfo.get("00100001"))
      yield* Effect.all([
        one.pipe(Effect.provide(client())),
        one.pipe(Effect.provide(client({ updateMethod: "PATCH" })))
      ]).pipe(RequestTally.into(tally))
      assert.deepStrictEqual(tally, { requests: 2, retries: 0, rateLimited: 0 })
      assert.strictEqual(emu.stats().requests, 2)
    })
  )
})
