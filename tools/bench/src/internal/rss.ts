import { readFileSync } from "node:fs"

/** This process's peak resident set so far, in MB (`maxRSS` is in KiB). */
export const peakRssMb = (): number => process.resourceUsage().maxRSS / 1024

/** A `kB` field of `/proc/<pid>/status` in MB, `undefined` once the process is gone. */
const statusField = (pid: number, field: "VmRSS" | "VmHWM"): number | undefined => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8")
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)
    return match === null ? undefined : Number(match[1]) / 1024
  } catch {
    return undefined
  }
}

/** Another process's resident set now, in MB. */
export const rssOfMb = (pid: number): number | undefined => statusField(pid, "VmRSS")

/** Another process's peak resident set so far, in MB. */
export const peakRssOfMb = (pid: number): number | undefined => statusField(pid, "VmHWM")

/**
 * Samples another process's peak resident set every few milliseconds until it exits; Node
 * cannot read a child's rusage, and the high-water mark only grows, so the last sample
 * before exit is the peak to within one interval's growth.
 */
export const watchPeakRss = (pid: number, intervalMs = 5) => {
  let peak = 0
  const sample = () => {
    const value = peakRssOfMb(pid)
    if (value !== undefined && value > peak) peak = value
  }
  sample()
  const timer = setInterval(sample, intervalMs)
  return {
    stop: (): number => {
      clearInterval(timer)
      return peak
    }
  }
}
