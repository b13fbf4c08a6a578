import { Population } from "@dfo-writeback/population"
import { ChildProcess } from "@dfo-writeback/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { fileURLToPath } from "node:url"

const BIN = fileURLToPath(new URL("../bin/dfo-emulator.js", import.meta.url))

/** Starts the emulator for the scope; ready once it prints its base URL (its first line). */
const emulator = (args: ReadonlyArray<string>) =>
  ChildProcess.start(process.execPath, [BIN, ...args], { readyWhen: (line) => line })

/** Stops the emulator with SIGTERM and returns its exit code. */
const stop = (child: ChildProcess.Child<string>) =>
  Effect.zipRight(
    child.signal("SIGTERM"),
    Effect.map(child.exit, (end) => end.code)
  )

const http = (url: string, init?: RequestInit) => Effect.promise(() => fetch(url, init))
const json = <A>(response: Response) => Effect.promise(() => response.json() as Promise<A>)

describe("the dfo-emulator command", () => {
  it.scoped("prints its base URL, serves employees and stops cleanly on SIGTERM", () =>
    Effect.gen(function* () {
      const child = yield* emulator([
        "--port",
        "0",
        "--count",
        "7",
        "--api-key",
        "cli-key",
        "--latency-ms",
        "1"
      ])
      const baseUrl = child.ready
      assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/dfo\/ansatte\/v2$/)

      const response = yield* http(baseUrl, { headers: { "x-gravitee-api-key": "cli-key" } })
      assert.strictEqual(response.status, 200)
      const body = yield* json<{ ansatt: Array<unknown> }>(response)
      assert.strictEqual(body.ansatt.length, 7)
      const denied = yield* http(baseUrl)
      assert.strictEqual(denied.status, 401)

      assert.strictEqual(yield* stop(child), 0)
    }).pipe(Effect.provide(ChildProcess.layer))
  )

  it.scoped("takes read-only keys, the write status, PATCH acceptance and the object form", () =>
    Effect.gen(function* () {
      const child = yield* emulator([
        ...["--port", "0", "--count", "2", "--api-key", "rw", "--read-only-key", "ro"],
        ...["--write-status", "204", "--accept-patch", "--ansatt-object"]
      ])
      const baseUrl = child.ready
      const write = (method: string, key: string) =>
        Effect.map(
          http(`${baseUrl}/100001`, {
            method,
            headers: { "x-gravitee-api-key": key, "content-type": "application/json" },
            body: JSON.stringify({ epost: `${method.toLowerCase()}@uni.example.no` })
          }),
          (response) => response.status
        )
      assert.strictEqual(yield* write("PUT", "ro"), 405)
      assert.strictEqual(yield* write("PUT", "rw"), 204)
      assert.strictEqual(yield* write("PATCH", "rw"), 204)
      const one = yield* http(`${baseUrl}/100001`, { headers: { "x-gravitee-api-key": "ro" } })
      const body = yield* json<{ ansatt: { id: string; epost: string } }>(one)
      assert.strictEqual(body.ansatt.id, "00100001")
      assert.strictEqual(body.ansatt.epost, "patch@uni.example.no")
      yield* stop(child)
    }).pipe(Effect.provide(ChildProcess.layer))
  )

  it.scoped("serves the population's DFØ records for --people and --seed", () =>
    Effect.gen(function* () {
      const child = yield* emulator(["--port", "0", "--people", "120", "--seed", "3"])
      const response = yield* http(child.ready, {
        headers: { "x-gravitee-api-key": "dfo-emulator-key" }
      })
      const body = yield* json<{ ansatt: ReadonlyArray<unknown> }>(response)
      assert.deepStrictEqual(body.ansatt, Population.make({ count: 120, seed: 3 }).dfoRecords)
      yield* stop(child)
    }).pipe(Effect.provide(ChildProcess.layer))
  )

  it.effect("refuses unknown options with exit code 64", () =>
    Effect.gen(function* () {
      const end = yield* ChildProcess.run(process.execPath, [BIN, "--no-such-option"])
      assert.strictEqual(end.code, 64)
    }).pipe(Effect.provide(ChildProcess.layer))
  )
})
