/** Latency figures of a sample, in the sample's unit. */
export interface Summary {
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly mean: number
  readonly max: number
}

/** The nearest-rank percentile `p` (0–100) of an ascending sample. */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number => {
  if (sorted.length === 0) return 0
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0
}

export const summarize = (sample: ReadonlyArray<number>): Summary => {
  const sorted = [...sample].sort((a, b) => a - b)
  const total = sorted.reduce((sum, x) => sum + x, 0)
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    mean: sorted.length === 0 ? 0 : total / sorted.length,
    max: sorted[sorted.length - 1] ?? 0
  }
}
