import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect, type Scope } from "effect"

/** The built server, run the way `npx writeback-server` runs it. */
const mainFile = fileURLToPath(new URL("../../dist/main.js", import.meta.url))

/** One JSON log line of the server. */
export type LogLine = Readonly<Record<string, unknown>>

export interface ServerProcess {
  /** `127.0.0.1:<port>`, read from the server's `listening` line. */
  readonly address: string
  readonly child: ChildProcess
  /** Every JSON line written to stdout so far. */
  readonly logs: () => ReadonlyArray<LogLine>
  /** stdout and stderr so far, for failure messages. */
  readonly output: () => string
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>
  /** SIGTERM, then SIGKILL after 10 s; resolves once it has exited. */
  readonly stop: () => Promise<number | string>
}

/** The server's environment: nothing inherited but PATH, so no stray setting leaks in. */
const environment = (env: Readonly<Record<string, string>>) => ({
  PATH: process.env["PATH"] ?? "/usr/bin:/bin",
  ...env
})

const parse = (line: string): LogLine | undefined => {
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === "object" && value !== null ? (value as LogLine) : undefined
  } catch {
    return undefined
  }
}

/** Spawns the server and collects its output. */
const spawnServer = (env: Readonly<Record<string, string>>) => {
  const child = spawn(process.execPath, [mainFile], {
    env: environment(env),
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  let pending = ""
  const logs: Array<LogLine> = []
  const listeners = new Set<(line: LogLine) => void>()
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk
    pending += chunk
    const lines = pending.split("\n")
    pending = lines.pop() ?? ""
    for (const line of lines) {
      const parsed = parse(line)
      if (parsed === undefined) continue
      logs.push(parsed)
      for (const listener of listeners) listener(parsed)
    }
  })
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk))
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"))
  )
  return { child, logs, listeners, output: () => output, exited }
}

/** Runs the server to its exit (for start-up failures); kills it after `timeoutMs`. */
export const runToExit = async (
  env: Readonly<Record<string, string>>,
  timeoutMs = 15_000
): Promise<{
  readonly code: number | string
  readonly logs: ReadonlyArray<LogLine>
  readonly output: string
}> => {
  const server = spawnServer(env)
  const timer = setTimeout(() => server.child.kill("SIGKILL"), timeoutMs)
  const code = await server.exited
  clearTimeout(timer)
  return { code, logs: server.logs, output: server.output() }
}

/** Starts the server and resolves once it listens; rejects with its output if it exits first. */
export const start = async (env: Readonly<Record<string, string>>): Promise<ServerProcess> => {
  const server = spawnServer(env)
  const listening = await new Promise<LogLine>((resolve, reject) => {
    const timer = setTimeout(() => {
      server.child.kill("SIGKILL")
      reject(new Error(`the server did not listen within 20 s:\n${server.output()}`))
    }, 20_000)
    server.listeners.add((line) => {
      if (line["message"] === "listening") {
        clearTimeout(timer)
        resolve(line)
      }
    })
    void server.exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`the server exited (${code}) before listening:\n${server.output()}`))
    })
  })
  const stop = async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill("SIGTERM")
      const timer = setTimeout(() => server.child.kill("SIGKILL"), 10_000)
      const code = await server.exited
      clearTimeout(timer)
      return code
    }
    return server.exited
  }
  return {
    address: String(listening["address"]),
    child: server.child,
    logs: () => server.logs,
    output: server.output,
    exited: server.exited,
    stop
  }
}

/** A server living as long as the scope. */
export const scoped = (
  env: Readonly<Record<string, string>>
): Effect.Effect<ServerProcess, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => start(env)),
    (server) => Effect.promise(() => server.stop())
  )
