import { Population } from "@dfo-writeback/population"
import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { once } from "node:events"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const BIN = fileURLToPath(new URL("../bin/dfo-emulator.js", import.meta.url))

describe("the dfo-emulator command", () => {
  it("prints its base URL, serves employees and stops cleanly on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "--port", "0", "--count", "7", "--api-key", "cli-key", "--latency-ms", "1"],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    try {
      const lines = createInterface({ input: child.stdout })
      const [baseUrl] = (await once(lines, "line")) as [string]
      assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/dfo\/ansatte\/v2$/)

      const response = await fetch(baseUrl, { headers: { "x-gravitee-api-key": "cli-key" } })
      assert.strictEqual(response.status, 200)
      const body = (await response.json()) as { ansatt: Array<unknown> }
      assert.strictEqual(body.ansatt.length, 7)
      const denied = await fetch(baseUrl)
      assert.strictEqual(denied.status, 401)

      child.kill("SIGTERM")
      const [code] = (await once(child, "exit")) as [number | null]
      assert.strictEqual(code, 0)
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL")
    }
  })

  it("takes read-only keys, the write status, PATCH acceptance and the object form", async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        ...["--port", "0", "--count", "2", "--api-key", "rw", "--read-only-key", "ro"],
        ...["--write-status", "204", "--accept-patch", "--ansatt-object"]
      ],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    try {
      const lines = createInterface({ input: child.stdout })
      const [baseUrl] = (await once(lines, "line")) as [string]
      const write = (method: string, key: string) =>
        fetch(`${baseUrl}/100001`, {
          method,
          headers: { "x-gravitee-api-key": key, "content-type": "application/json" },
          body: JSON.stringify({ epost: `${method.toLowerCase()}@uni.example.no` })
        })
      assert.strictEqual((await write("PUT", "ro")).status, 405)
      assert.strictEqual((await write("PUT", "rw")).status, 204)
      assert.strictEqual((await write("PATCH", "rw")).status, 204)
      const one = await fetch(`${baseUrl}/100001`, { headers: { "x-gravitee-api-key": "ro" } })
      const body = (await one.json()) as { ansatt: { id: string; epost: string } }
      assert.strictEqual(body.ansatt.id, "00100001")
      assert.strictEqual(body.ansatt.epost, "patch@uni.example.no")
      child.kill("SIGTERM")
      await once(child, "exit")
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL")
    }
  })

  it("serves the population's DFØ records for --people and --seed", async () => {
    const child = spawn(process.execPath, [BIN, "--port", "0", "--people", "120", "--seed", "3"], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    try {
      const lines = createInterface({ input: child.stdout })
      const [baseUrl] = (await once(lines, "line")) as [string]
      const response = await fetch(baseUrl, {
        headers: { "x-gravitee-api-key": "dfo-emulator-key" }
      })
      const body = (await response.json()) as { ansatt: ReadonlyArray<unknown> }
      assert.deepStrictEqual(body.ansatt, Population.make({ count: 120, seed: 3 }).dfoRecords)
      child.kill("SIGTERM")
      await once(child, "exit")
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL")
    }
  })

  it("refuses unknown options with exit code 64", async () => {
    const child = spawn(process.execPath, [BIN, "--no-such-option"], { stdio: "pipe" })
    const [code] = (await once(child, "exit")) as [number | null]
    assert.strictEqual(code, 64)
  })
})
