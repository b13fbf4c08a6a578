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
  /** `host:port` of `/metrics`, when `METRICS_LISTEN` is set (its `metrics listening` line). */
  readonly metricsAddress: string | undefined
  readonly pid: number
  /** Log lines the server has written (they are counted, not kept). */
  readonly logLines: Effect.Effect<number>
}

/** A log line's `address` when its message is `message`. */
const addressOf = (line: string, message: string): string | undefined => {
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === "object" &&
      value !== null &&
      "message" in value &&
      value.message === message &&
      "address" in value
      ? String(value.address)
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
): Effect.Effect<RunningServer, ServerStartError, Scope.Scope> => {
  // /metrics says where it listens before gRPC does (the server's main.ts).
  let metricsAddress: string | undefined
  const ready = (line: string) => {
    metricsAddress ??= addressOf(line, "metrics listening")
    return addressOf(line, "listening")
  }
  // Node flags for the server only, e.g. "--cpu-prof --cpu-prof-dir=prof" (written on SIGTERM).
  const flags = (process.env["BENCH_SERVER_NODE_FLAGS"] ?? "").split(" ").filter((f) => f !== "")
  return ChildProcess.start(process.execPath, [...flags, mainFile], {
    env,
    inheritEnv: false,
    readyWhen: ready,
    readyTimeout: "20 seconds",
    // Only the start-up lines matter (for an error); the rest are counted.
    keep: 64 * 1024
  }).pipe(
    Effect.map((child) => ({
      address: child.ready,
      metricsAddress,
      pid: child.pid,
      logLines: child.stdoutLines
    })),
    Effect.mapError((error) => new ServerStartError({ message: error.message })),
    Effect.provide(ChildProcess.layer)
  )
}
