import { readFileSync } from "node:fs"

/**
 * A `kB` field of `/proc/<pid>/status` in MB, `undefined` once the process is gone (or
 * where there is no /proc).
 */
const statusField = (pid: number | "self", field: "VmRSS" | "VmHWM"): number | undefined => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8")
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)
    return match === null ? undefined : Number(match[1]) / 1024
  } catch {
    return undefined
  }
}

/**
 * This process's own peak resident set so far, in MB: its `VmHWM`. Not
 * `process.resourceUsage().maxRSS`: Linux carries the parent's high-water mark across fork
 * and exec, so a child of a large parent would report the parent's size.
 */
export const peakRssMb = (): number => {
  const peak = statusField("self", "VmHWM")
  if (peak === undefined) throw new Error("no VmHWM in /proc/self/status: the bench needs Linux")
  return peak
}

/** Another process's resident set now, in MB. */
export const rssOfMb = (pid: number): number | undefined => statusField(pid, "VmRSS")

/** Another process's peak resident set so far, in MB (its own `VmHWM`). */
export const peakRssOfMb = (pid: number): number | undefined => statusField(pid, "VmHWM")
