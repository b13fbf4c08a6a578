import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

/** The built CLI, run as an operator runs it. */
export const bin = fileURLToPath(new URL("../bin/writeback.js", import.meta.url))

export interface Finished {
  readonly code: number | null
  /** The signal that ended the process, `null` when it exited. */
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface Started {
  readonly child: ChildProcess
  readonly finished: Promise<Finished>
}

/**
 * Starts `writeback` with exactly `env` (plus PATH), so no setting leaks in from the
 * machine running the tests.
 */
export const startCli = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>
): Started => {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const finished = new Promise<Finished>((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  return { child, finished }
}

/** Runs `writeback` to its end. */
export const runCli = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>
): Promise<Finished> => startCli(args, env).finished

/** `--json` output: one object a line. */
export const jsonLines = (text: string): ReadonlyArray<Record<string, unknown>> =>
  text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>)
