// No Effect import here: the floors use these and must not load Effect.
import { cpuMs } from "./cpu.js"

/** Milliseconds on the monotonic clock. */
export const now = (): number => performance.now()

/**
 * Milliseconds since the epoch to the microsecond, comparable with another process's on the
 * same host (the DFØ emulator's request log uses the same clock).
 */
export const epochMs = (): number => performance.timeOrigin + performance.now()

/** What a timed part took: wall time, and this process's user + system CPU time. */
export interface Elapsed {
  readonly wallMs: number
  readonly cpuMs: number
}

/** Starts both clocks; the function it returns reads what has elapsed since. */
export const stopwatch = (): (() => Elapsed) => {
  const wall = now()
  const cpu = cpuMs()
  return () => ({ wallMs: now() - wall, cpuMs: cpuMs() - cpu })
}

/** `count` per `ms` milliseconds, as a rate a second. */
export const perSecond = (count: number, ms: number): number => (ms > 0 ? (count * 1000) / ms : 0)

/** Rounds a figure for the report: three significant decimals are plenty. */
export const round = (value: number, digits = 2): number => {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}
