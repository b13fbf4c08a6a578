/**
 * A throw-away server must not outlive the test process that started it, even when that
 * process is killed outright (SIGKILL, OOM), when no finalizer runs. A watchdog is a shell
 * that waits for its stdin, a pipe from us, to close, which happens however we end, and
 * then kills the server's process group and removes its directory.
 */
import { spawn } from "node:child_process"
import type { Socket } from "node:net"
import { Effect, type Scope } from "effect"

// Dash's `kill` takes no `--`: with one it kills nothing. The group first, then the pid (a
// child that is no group leader).
const script =
  'trap "" INT; cat >/dev/null; kill -9 -"$1" 2>/dev/null; kill -9 "$1" 2>/dev/null; [ -z "$2" ] || rm -rf "$2"'

/**
 * Guards process group `pid` (and `dir`, when given) for the length of the scope. The
 * scope's end disarms it (SIGKILL to the watchdog, never closing its stdin: a disarmed
 * watchdog must never kill a recycled pid); the server's own finalizer stops the server.
 */
export const guard = (
  name: string,
  pid: number,
  dir?: string
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn("sh", ["-c", script, `${name}-watchdog`, String(pid), dir ?? ""], {
        stdio: ["pipe", "ignore", "ignore"]
      })
      child.on("error", () => {})
      child.unref()
      ;(child.stdin as Socket | null)?.unref()
      return child
    }),
    (child) => Effect.sync(() => child.kill("SIGKILL"))
  ).pipe(Effect.asVoid)
