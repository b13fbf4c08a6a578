import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

/** The built CLI, run as an operator runs it. */
export const bin = fileURLToPath(new URL("../bin/writeback.js", import.meta.url))

export interface Finished {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs `writeback` with exactly `env` (plus PATH), so no setting leaks in from the
 * machine running the tests.
 */
export const runCli = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>
): Promise<Finished> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env["PATH"] ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/** `--json` output: one object a line. */
export const jsonLines = (text: string): ReadonlyArray<Record<string, unknown>> =>
  text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>)
