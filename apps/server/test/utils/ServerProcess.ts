import type { ChildProcess as NodeChildProcess } from "node:child_process"
import { fileURLToPath } from "node:url"
import { ChildProcess, Pod } from "@dfo-writeback/testkit"
import { Duration, Effect, Exit, Option, Scope } from "effect"

/** The built server, run the way `npx writeback-server` runs it. */
const mainFile = fileURLToPath(new URL("../../dist/main.js", import.meta.url))

/** One JSON log line of the server. */
export type LogLine = Readonly<Record<string, unknown>>

/** The part of a Node child process the tests use. */
export type Child = Pick<NodeChildProcess, "pid" | "kill" | "killed" | "exitCode" | "signalCode">

export interface ServerProcess {
  /** `127.0.0.1:<port>`, read from the server's `listening` line. */
  readonly address: string
  readonly child: Child
  /** Every JSON line written to stdout so far. */
  readonly logs: () => ReadonlyArray<LogLine>
  /** stdout and stderr so far, for failure messages. */
  readonly output: () => string
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>
  /** SIGTERM, then SIGKILL after 10 s; resolves once it has exited. */
  readonly stop: () => Promise<number | string>
}

const parse = (line: string): LogLine | undefined => {
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === "object" && value !== null ? (value as LogLine) : undefined
  } catch {
    return undefined
  }
}

const parseAll = (text: string): ReadonlyArray<LogLine> =>
  text.split("\n").flatMap((line): Array<LogLine> => {
    const parsed = parse(line)
    return parsed === undefined ? [] : [parsed]
  })

/** The server with nothing of this machine's environment but PATH, so no stray setting leaks in. */
const options = (env: Readonly<Record<string, string>>) => ({
  env,
  inheritEnv: false,
  // Whole test runs' logs, never cut, so `logs()` sees every line.
  keep: 256 * 1024 * 1024
})

const exitOf = (end: ChildProcess.Output): number | string => end.code ?? end.signal ?? "unknown"

/** Runs the server to its exit (for start-up failures); kills it after `timeoutMs`. */
export const runToExit = (
  env: Readonly<Record<string, string>>,
  timeoutMs = 15_000
): Promise<{
  readonly code: number | string
  readonly logs: ReadonlyArray<LogLine>
  readonly output: string
}> =>
  ChildProcess.run(process.execPath, [mainFile], { ...options(env), timeout: timeoutMs }).pipe(
    Effect.map((end) => ({
      code: exitOf(end),
      logs: parseAll(end.stdout),
      output: `${end.stdout}${end.stderr}`
    })),
    Effect.provide(ChildProcess.layer),
    Effect.runPromise
  )

/** Starts the server in the scope (in `pod`, when given) and waits for its `listening` line. */
const launch = (env: Readonly<Record<string, string>>, pod?: Pod.Spec) =>
  Effect.gen(function* () {
    const startOptions = {
      ...options(env),
      readyWhen: (line: string) => {
        const parsed = parse(line)
        return parsed?.["message"] === "listening" ? parsed : undefined
      }
    }
    const child = yield* pod === undefined
      ? ChildProcess.start(process.execPath, [mainFile], startOptions)
      : Pod.start(pod, process.execPath, [mainFile], startOptions)
    const text = () => Effect.runSync(child.output)
    const exited = Effect.runPromise(Effect.map(child.exit, exitOf))

    // Parsed as they are asked for: the lines after the last ones read.
    const logs: Array<LogLine> = []
    let read = 0
    const readLogs = () => {
      const { stdout } = text()
      const end = stdout.lastIndexOf("\n") + 1
      if (end > read) logs.push(...parseAll(stdout.slice(read, end)))
      read = Math.max(read, end)
      return logs
    }

    let killed = false
    let exitCode: number | null = null
    let signalCode: NodeJS.Signals | null = null
    void exited.then((code) => {
      if (typeof code === "number") exitCode = code
      else signalCode = code as NodeJS.Signals
    })
    const handle: Child = {
      pid: child.pid,
      get killed() {
        return killed
      },
      get exitCode() {
        return exitCode
      },
      get signalCode() {
        return signalCode
      },
      kill: (signal: NodeJS.Signals | number = "SIGTERM") => {
        if (exitCode !== null || signalCode !== null) return false
        try {
          process.kill(child.pid, signal)
          killed = true
          return true
        } catch {
          return false
        }
      }
    }

    const stop = Effect.gen(function* () {
      if (exitCode !== null || signalCode !== null) return exitOf(yield* child.exit)
      yield* child.signal("SIGTERM")
      const ended = yield* child.exit.pipe(Effect.timeout(Duration.seconds(10)), Effect.option)
      if (Option.isNone(ended)) yield* child.signal("SIGKILL")
      return exitOf(yield* child.exit)
    })

    return {
      server: {
        address: String(child.ready["address"]),
        child: handle,
        logs: readLogs,
        output: () => {
          const { stdout, stderr } = text()
          return `${stdout}${stderr}`
        },
        exited,
        stop: () => Effect.runPromise(stop)
      } satisfies ServerProcess,
      stop
    }
  }).pipe(Effect.provide(ChildProcess.layer), Effect.orDie)

/** Starts the server and resolves once it listens; rejects with its output if it exits first. */
export const start = async (env: Readonly<Record<string, string>>): Promise<ServerProcess> => {
  const scope = Effect.runSync(Scope.make())
  const { server, stop } = await Effect.runPromise(Scope.extend(launch(env), scope)).catch(
    async (error: unknown) => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      throw error
    }
  )
  const closeScope = Effect.zipLeft(stop, Scope.close(scope, Exit.void))
  return { ...server, stop: () => Effect.runPromise(closeScope) }
}

/** A server living as long as the scope; in `pod`, as a pod runs it, when given. */
export const scoped = (
  env: Readonly<Record<string, string>>,
  pod?: Pod.Spec
): Effect.Effect<ServerProcess, never, Scope.Scope> =>
  Effect.map(launch(env, pod), ({ server }) => server)
