import { countsOf, type View } from "./RunView.js"

/** Where a run stands at `now`: counts, pace, and with a known total an estimate. */
export interface Progress {
  readonly examined: number
  readonly total: number | undefined
  readonly changed: number
  readonly unchanged: number
  readonly skipped: number
  readonly failed: number
  /** Users per second since the run started. */
  readonly rate: number
  /** Seconds left at the pace since the total came; `undefined` before there is one. */
  readonly etaSeconds: number | undefined
}

/** An estimate needs the pace of at least this long after the total came. */
const minimumPaceMs = 1_000

export const at = (view: View, startedAt: number, now: number): Progress => {
  const { total } = view
  const { counts } = countsOf(view)
  const examined = counts.total
  const since = total === undefined ? 0 : now - total.at
  const done = total === undefined ? 0 : examined - total.examinedThen
  return {
    examined,
    total: total?.users,
    changed: counts.updated + counts.wouldUpdate,
    unchanged: counts.unchanged,
    skipped: counts.skipped,
    failed: counts.updateFailed + counts.fetchFailed,
    rate: examined / Math.max(0.001, (now - startedAt) / 1000),
    etaSeconds:
      total === undefined || since < minimumPaceMs || done <= 0
        ? undefined
        : Math.max(0, total.users - examined) / (done / (since / 1000))
  }
}

/** `42 s`, `3 min 5 s`, `1 h 2 min`. */
export const duration = (seconds: number): string => {
  const s = Math.ceil(seconds)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
}

/** The terminal's progress line. */
export const line = (p: Progress): string => {
  const examined =
    p.total === undefined
      ? `examined ${p.examined}`
      : `examined ${p.examined}/${p.total} (${Math.floor((100 * p.examined) / Math.max(1, p.total))} %)`
  const eta =
    p.total === undefined
      ? ""
      : p.etaSeconds === undefined
        ? " · estimating"
        : ` · about ${duration(p.etaSeconds)} left`
  return (
    `${examined} · changed ${p.changed} · unchanged ${p.unchanged} · skipped ${p.skipped}` +
    ` · failed ${p.failed} · ${p.rate.toFixed(0)} users/s${eta}`
  )
}

/** The log line's fields off a terminal (`progress` lines). */
export const fields = (p: Progress): Record<string, number> => ({
  examined: p.examined,
  ...(p.total === undefined ? {} : { total: p.total }),
  changed: p.changed,
  unchanged: p.unchanged,
  skipped: p.skipped,
  failed: p.failed,
  users_per_second: Math.round(p.rate),
  ...(p.etaSeconds === undefined ? {} : { eta_seconds: Math.ceil(p.etaSeconds) })
})
