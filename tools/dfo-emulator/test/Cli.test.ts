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

  it("refuses unknown options with exit code 64", async () => {
    const child = spawn(process.execPath, [BIN, "--no-such-option"], { stdio: "pipe" })
    const [code] = (await once(child, "exit")) as [number | null]
    assert.strictEqual(code, 64)
  })
})
