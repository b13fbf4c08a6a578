import { spawn } from "node:child_process"
import { rmSync } from "node:fs"
import type { Socket } from "node:net"

// Three layers so no test run leaves a slapd or a temp dir behind: stop() for the normal
// case, process exit/signal hooks for a test process that ends without stopping, and a
// watchdog shell that outlives a process killed outright (SIGKILL, OOM).

export interface Live {
  readonly dir: string
  pid: number | undefined
}

const live = new Set<Live>()
const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const

const killNow = (pid: number | undefined) => {
  if (pid === undefined) return
  try {
    process.kill(pid, "SIGKILL")
  } catch {
    // already gone
  }
}

const cleanupAllSync = () => {
  for (const entry of live) {
    killNow(entry.pid)
    rmSync(entry.dir, { recursive: true, force: true })
  }
  live.clear()
}

const onSignal = (signal: NodeJS.Signals) => {
  // Someone else (vitest, NodeRuntime.runMain) handles this signal and will exit or stop us
  // gracefully; only when we are alone do we clean up and re-raise it so the process dies as
  // it would have without our handler.
  if (process.listenerCount(signal) > 1) return
  cleanupAllSync()
  uninstall()
  process.kill(process.pid, signal)
}

const handlers = new Map(signals.map((s) => [s, () => onSignal(s)] as const))

const install = () => {
  process.on("exit", cleanupAllSync)
  for (const [signal, handler] of handlers) process.on(signal, handler)
}

const uninstall = () => {
  process.removeListener("exit", cleanupAllSync)
  for (const [signal, handler] of handlers) process.removeListener(signal, handler)
}

export const register = (entry: Live): void => {
  if (live.size === 0) install()
  live.add(entry)
}

export const unregister = (entry: Live): void => {
  if (!live.delete(entry)) return
  if (live.size === 0) uninstall()
}

const watchdogScript = 'trap "" INT; cat >/dev/null; kill -9 "$1" 2>/dev/null; rm -rf "$2"'

/**
 * A shell that waits for its stdin (a pipe from us) to close, which happens however this
 * process ends, and then kills `pid` and removes `dir`. Returns a function that disarms it.
 */
export const watchdog = (pid: number, dir: string): (() => void) => {
  const child = spawn("sh", ["-c", watchdogScript, "ldap-testbed-watchdog", String(pid), dir], {
    stdio: ["pipe", "ignore", "ignore"]
  })
  child.on("error", () => {})
  child.unref()
  ;(child.stdin as Socket | null)?.unref()
  return () => {
    // SIGKILL, not closing stdin: a disarmed watchdog must never kill a recycled pid.
    child.kill("SIGKILL")
  }
}
