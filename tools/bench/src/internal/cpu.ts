import { readFileSync } from "node:fs"

/**
 * The unit of `/proc/<pid>/stat`'s times: USER_HZ, which Linux fixes at 100 for user space
 * whatever the kernel's own tick.
 */
const ticksPerSecond = 100

/** This process's user + system CPU time since it started, in ms. */
export const cpuMs = (): number => {
  const used = process.cpuUsage()
  return (used.user + used.system) / 1000
}

/**
 * Another process's user + system CPU time so far, in ms (`utime` + `stime` of
 * `/proc/<pid>/stat`, its children not counted), `undefined` once it is gone.
 */
export const cpuOfMs = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name (field 2) may hold spaces and parentheses; fields resume after the
    // last ")", starting at field 3 (state), so utime (14) and stime (15) are 11 and 12.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const ticks = Number(fields[11]) + Number(fields[12])
    return Number.isFinite(ticks) ? (ticks * 1000) / ticksPerSecond : undefined
  } catch {
    return undefined
  }
}
