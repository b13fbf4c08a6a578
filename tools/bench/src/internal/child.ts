import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { ChildOutput, ScenarioInput } from "./protocol.js"

const scenarioFile = fileURLToPath(new URL("../scenario.js", import.meta.url))

/**
 * Runs one scenario in a fresh Node process and reads its one JSON line. stderr is passed
 * through so a failing scenario explains itself.
 */
export const runChild = (
  name: string,
  input: ScenarioInput,
  timeoutMs: number
): Promise<ChildOutput> =>
  new Promise((resolve, reject) => {
    // Node flags for the scenario process only, e.g. "--cpu-prof --cpu-prof-dir=prof"
    // (Node refuses --cpu-prof in NODE_OPTIONS).
    const flags = (process.env["BENCH_NODE_FLAGS"] ?? "").split(" ").filter((f) => f !== "")
    const child = spawn(process.execPath, [...flags, scenarioFile, name, JSON.stringify(input)], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let stdout = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.once("error", reject)
    child.once("close", (code, signal) => {
      clearTimeout(timer)
      const line = stdout.trim().split("\n").pop() ?? ""
      if (code !== 0) {
        reject(new Error(`${name} ended with ${signal ?? `exit code ${code}`}`))
        return
      }
      try {
        resolve(JSON.parse(line) as ChildOutput)
      } catch {
        reject(new Error(`${name} printed no result line: ${stdout.slice(-500)}`))
      }
    })
  })
