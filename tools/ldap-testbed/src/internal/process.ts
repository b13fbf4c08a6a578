import { spawn, type SpawnOptions } from "node:child_process"

/** Runs a command to completion; rejects with its last lines of output when it fails. */
export const run = (
  command: string,
  args: ReadonlyArray<string>,
  options: SpawnOptions = {}
): Promise<{ readonly stdout: string; readonly stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")))
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    child.on("error", reject)
    child.on("close", (code, signal) => {
      if (code === 0) return resolve({ stdout, stderr })
      const output = (stderr.trim() || stdout.trim()).split("\n").slice(-5).join(" | ")
      reject(
        new Error(
          `${command} ${args.slice(0, 3).join(" ")} failed (${signal ?? `exit ${code}`}): ${output}`
        )
      )
    })
  })
