import type { EmulatorStats, LogEntry } from "../Emulator.js"

/** A log entry while its request is under way. */
export interface OpenEntry {
  seq: number
  time: number
  method: string
  path: string
  status: number | undefined
  body?: unknown
  durationMs: number | undefined
  stalled: boolean
  aborted: boolean
  reset: boolean
}

interface Counters {
  requests: number
  byMethod: Record<string, number>
  byStatus: Record<string, number>
  stalled: number
  aborted: number
  resets: number
  maxInFlight: number
  since: number
}

const newCounters = (): Counters => ({
  requests: 0,
  byMethod: {},
  byStatus: {},
  stalled: 0,
  aborted: 0,
  resets: 0,
  maxInFlight: 0,
  since: Date.now()
})

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1
}

/**
 * Every request to the employee API (method, path, status, body) and counters by method and
 * status: what tests read after a run to prove what DFØ received. Holds at most `limit`
 * entries; the oldest tenth goes when it is full.
 */
export class RequestLog {
  private entries: Array<OpenEntry> = []
  private counters = newCounters()
  private seq = 0
  private inFlight = 0

  constructor(private readonly limit: number) {}

  /** Logs a request as it arrives; the entry is filled in as it goes. */
  open(method: string, path: string): OpenEntry {
    const entry: OpenEntry = {
      seq: ++this.seq,
      // Sub-millisecond and comparable with another process's clock on the same host: the
      // bench times an event's publication to its PUT's arrival here.
      time: performance.timeOrigin + performance.now(),
      method,
      path,
      status: undefined,
      durationMs: undefined,
      stalled: false,
      aborted: false,
      reset: false
    }
    this.entries.push(entry)
    if (this.entries.length > this.limit) this.entries.splice(0, Math.ceil(this.limit / 10))
    this.counters.requests += 1
    bump(this.counters.byMethod, method)
    this.inFlight += 1
    this.counters.maxInFlight = Math.max(this.counters.maxInFlight, this.inFlight)
    return entry
  }

  answered(entry: OpenEntry, status: number): void {
    entry.status = status
    bump(this.counters.byStatus, String(status))
  }

  stalled(entry: OpenEntry): void {
    entry.stalled = true
    this.counters.stalled += 1
  }

  reset(entry: OpenEntry): void {
    entry.reset = true
    this.counters.resets += 1
  }

  /** The request is over: answered, given up by the client, or reset. */
  closed(entry: OpenEntry, durationMs: number, answered: boolean): void {
    this.inFlight -= 1
    entry.durationMs = durationMs
    if (!answered && !entry.reset) {
      entry.aborted = true
      this.counters.aborted += 1
    }
  }

  list(): ReadonlyArray<LogEntry> {
    return this.entries.map((entry) => ({ ...entry }))
  }

  stats(): EmulatorStats {
    const c = this.counters
    return {
      requests: c.requests,
      byMethod: { ...c.byMethod },
      byStatus: { ...c.byStatus },
      stalled: c.stalled,
      aborted: c.aborted,
      resets: c.resets,
      inFlight: this.inFlight,
      maxInFlight: c.maxInFlight,
      since: c.since
    }
  }

  clear(): void {
    this.entries = []
    this.counters = newCounters()
  }
}
