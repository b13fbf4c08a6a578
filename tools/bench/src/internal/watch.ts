import { cpuOfMs } from "./cpu.js"
import { peakRssOfMb } from "./rss.js"

/** What another process cost by the time it exited: its own peak RSS and CPU time. */
export interface ProcessCost {
  readonly peakRssMb: number
  readonly cpuMs: number
}

/**
 * Samples another process's peak resident set and CPU time every few milliseconds until it
 * exits. Node cannot read a child's rusage, and once the process is reaped /proc forgets
 * it; both figures only grow, so the last sample before exit is each one to within one
 * interval.
 */
export const watchProcess = (pid: number, intervalMs = 5) => {
  let peakRssMb = 0
  let cpuMs = 0
  const sample = () => {
    const peak = peakRssOfMb(pid)
    const cpu = cpuOfMs(pid)
    if (peak !== undefined && peak > peakRssMb) peakRssMb = peak
    if (cpu !== undefined && cpu > cpuMs) cpuMs = cpu
  }
  sample()
  const timer = setInterval(sample, intervalMs)
  return {
    stop: (): ProcessCost => {
      clearInterval(timer)
      return { peakRssMb, cpuMs }
    }
  }
}
