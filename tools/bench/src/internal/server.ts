import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Data, Effect, type Scope } from "effect"

/** The built gRPC server, run as `npx writeback-server` runs it. */
const mainFile = fileURLToPath(new URL("../../../../apps/server/dist/main.js", import.meta.url))

export class ServerStartError extends Data.TaggedError("ServerStartError")<{
  readonly message: string
}> {}

export interface RunningServer {
  /** `127.0.0.1:<port>`, from the server's `listening` log line. */
  readonly address: string
  readonly pid: number
  /** Log lines the server has written (they are counted, not kept). */
  readonly logLines: () => number
}

const parse = (line: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === "object" && value !== null
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/**
 * Starts the server with exactly `env` (and PATH) and waits for it to listen; SIGTERM
 * (then SIGKILL) when the scope closes.
 */
export const scoped = (
  env: Readonly<Record<string, string>>
): Effect.Effect<RunningServer, ServerStartError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<
      { readonly server: RunningServer; readonly stop: () => Promise<void> },
      ServerStartError
    >((resume) => {
      const child = spawn(process.execPath, [mainFile], {
        env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let pending = ""
      let lines = 0
      let early = ""
      let address: string | undefined
      let settled = false
      const settle = (
        result: Effect.Effect<
          { readonly server: RunningServer; readonly stop: () => Promise<void> },
          ServerStartError
        >
      ) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resume(result)
      }
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
      const stop = async () => {
        if (child.exitCode !== null || child.signalCode !== null) return
        child.kill("SIGTERM")
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
        await exited
        clearTimeout(timer)
      }
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        if (address === undefined) early += chunk
      })
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        pending += chunk
        const parts = pending.split("\n")
        pending = parts.pop() ?? ""
        lines += parts.length
        if (address !== undefined) return
        early += chunk
        for (const part of parts) {
          const line = parse(part)
          if (line?.["message"] === "listening") {
            address = String(line["address"])
            settle(
              Effect.succeed({
                server: { address, pid: child.pid ?? 0, logLines: () => lines },
                stop
              })
            )
          }
        }
      })
      const timer = setTimeout(() => {
        child.kill("SIGKILL")
        settle(
          Effect.fail(new ServerStartError({ message: `no listening line in 20 s: ${early}` }))
        )
      }, 20_000)
      void exited.then(() =>
        settle(Effect.fail(new ServerStartError({ message: `the server exited: ${early}` })))
      )
      return Effect.promise(stop)
    }),
    ({ stop }) => Effect.promise(stop)
  ).pipe(Effect.map(({ server }) => server))
