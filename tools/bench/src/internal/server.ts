import { ChildProcess } from "@dfo-writeback/testkit"
import { Data, Effect, type Scope } from "effect"
import { fileURLToPath } from "node:url"

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
  readonly logLines: Effect.Effect<number>
}

/** The address of a `listening` log line, if this is one. */
const listeningAddress = (line: string): string | undefined => {
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === "object" && value !== null && "message" in value
      ? value.message === "listening" && "address" in value
        ? String(value.address)
        : undefined
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
  ChildProcess.start(process.execPath, [mainFile], {
    env,
    inheritEnv: false,
    readyWhen: listeningAddress,
    readyTimeout: "20 seconds",
    // Only the start-up lines matter (for an error); the rest are counted.
    keep: 64 * 1024
  }).pipe(
    Effect.map((child) => ({
      address: child.ready,
      pid: child.pid,
      logLines: child.stdoutLines
    })),
    Effect.mapError((error) => new ServerStartError({ message: error.message })),
    Effect.provide(ChildProcess.layer)
  )
