import type { RunSummary, UserResult, WritebackEvent } from "@dfo-writeback/domain"
import { LogFormat } from "@dfo-writeback/edge"

/**
 * Text from outside (LDAP values, DFØ's faultText) as the terminal shows it: control
 * characters escaped, so none clears the screen, moves the cursor or starts a fake line.
 */
const safe = (text: string): string => LogFormat.escapeControl(LogFormat.clip(text, 512))

/** Renders a run for a person: result lines, a progress line on a terminal, a summary table. */
export interface Output {
  readonly event: (event: WritebackEvent) => void
  /** Writes a log line without tearing the progress line. */
  readonly log: (line: string) => void
  readonly error: (text: string) => void
  readonly done: () => void
}

/**
 * A log line to `stream`. A stream that has failed (a file on a full disk reports it
 * during the write; a closed pipe on a later one) throws, so a lost audit line stops the
 * run's writes (LogFormat) instead of vanishing.
 */
const logTo = (stream: NodeJS.WriteStream, line: string) => {
  stream.write(`${line}\n`)
  if (stream.errored !== null) throw stream.errored
}

interface Streams {
  readonly out: NodeJS.WriteStream
  readonly err: NodeJS.WriteStream
}

const describeUser = (r: UserResult) => {
  const who = [
    safe(r.username || r.uhUsername || r.idautoId || "(no idautoID)"),
    r.sapId && `sap ${safe(r.sapId)}`
  ]
    .filter(Boolean)
    .join(" ")
  const why = r.skipReason ?? r.errorCode ?? ""
  const changes = r.changes.map(
    (c) =>
      `\n    ${safe(c.field)}: ${safe(JSON.stringify(c.before))} → ${safe(JSON.stringify(c.after))}`
  )
  const kept = r.keptFields.length > 0 ? `\n    kept: ${safe(r.keptFields.join(", "))}` : ""
  return `${r.outcome.padEnd(12)} ${who}${why ? ` [${why}]` : ""} ${safe(r.message)}${changes.join("")}${kept}`
}

/** Skips by reason, most frequent first: `NOT_IN_SAP 2, DISABLED 1`. */
const skipReasons = (s: RunSummary) =>
  Object.entries(s.skippedByReason)
    .sort(([a, x], [b, y]) => (y ?? 0) - (x ?? 0) || a.localeCompare(b))
    .map(([reason, count]) => `${reason} ${String(count)}`)
    .join(", ")

const summaryTable = (s: RunSummary) => {
  const reasons = skipReasons(s)
  const rows: Array<[string, string]> = [
    ["run", safe(s.runId)],
    ["total", String(s.total)],
    ["updated", String(s.updated)],
    ["would update", String(s.wouldUpdate)],
    ["unchanged", String(s.unchanged)],
    ["skipped", reasons === "" ? String(s.skipped) : `${s.skipped} (${reasons})`],
    ["update failed", String(s.updateFailed)],
    ["fetch failed", String(s.fetchFailed)],
    // What the run asked of DFØ: many retries or 429s explain a slow or failed night.
    ["DFØ requests", String(s.dfoRequests)],
    ["DFØ retries", String(s.dfoRetries)],
    ["DFØ 429 answers", String(s.dfoRateLimited)],
    ["log only", s.logOnly ? "yes" : "no"],
    ["duration", `${(s.durationMs / 1000).toFixed(1)} s`]
  ]
  if (s.caller !== "") rows.splice(1, 0, ["caller", safe(s.caller)])
  if (s.aborted) rows.push(["ABORTED", safe(s.abortReason)])
  const width = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join("\n")
}

/**
 * Human output. Single-user runs show their one result; full runs show every user
 * that was or would be written or that failed (the rest are in the counters).
 */
export const human = ({ out, err }: Streams, processAll: () => boolean): Output => {
  // The directory is streamed, so the total is unknown until the end: the progress line
  // shows counts by outcome and the rate instead of a percentage.
  const live = () => err.isTTY === true && processAll()
  const counts = { examined: 0, changed: 0, unchanged: 0, skipped: 0, failed: 0 }
  let shown = false
  let startedAt = Date.now()
  let lastDraw = 0
  const clear = () => {
    if (shown) err.write("\r\x1b[2K")
    shown = false
  }
  const render = () => {
    if (!live()) return
    const now = Date.now()
    lastDraw = now
    const rate = counts.examined / Math.max(0.001, (now - startedAt) / 1000)
    err.write(
      `examined ${counts.examined} · changed ${counts.changed} · unchanged ${counts.unchanged}` +
        ` · skipped ${counts.skipped} · failed ${counts.failed} · ${rate.toFixed(0)} users/s`
    )
    shown = true
  }
  const tick = () => {
    if (Date.now() - lastDraw < 100) return
    clear()
    render()
  }
  const above = (write: () => void) => {
    const wasShown = shown
    clear()
    write()
    if (wasShown) render()
  }
  const count = (outcome: UserResult["outcome"]) => {
    counts.examined += 1
    if (outcome === "UPDATED" || outcome === "WOULD_UPDATE") counts.changed += 1
    else if (outcome === "UNCHANGED") counts.unchanged += 1
    else if (outcome === "SKIPPED") counts.skipped += 1
    else counts.failed += 1
  }
  return {
    event: (event) => {
      switch (event._tag) {
        case "RunStarted":
          startedAt = Date.now()
          above(() =>
            out.write(
              `run ${safe(event.runId)}${event.logOnly ? " (log only)" : ""}${event.readOnly ? " (SAP_READ_ONLY)" : ""}\n`
            )
          )
          return
        case "UserResult":
          count(event.outcome)
          if (
            !processAll() ||
            ["UPDATED", "WOULD_UPDATE", "FAILED"].includes(event.outcome) ||
            event.skipReason === "PLAN_STALE"
          ) {
            above(() => out.write(`${describeUser(event)}\n`))
          }
          tick()
          return
        case "RunSummary":
          clear()
          out.write(`${summaryTable(event)}\n`)
          return
      }
    },
    log: (line) => above(() => logTo(err, line)),
    error: (text) => above(() => err.write(`${text}\n`)),
    done: clear
  }
}

/** `--json`: one WritebackEvent a line in protobuf canonical JSON; nothing else on stdout. */
export const json = ({ out, err }: Streams, encode: (event: WritebackEvent) => string): Output => ({
  event: (event) => {
    out.write(`${encode(event)}\n`)
  },
  log: (line) => logTo(err, line),
  error: (text) => err.write(`${text}\n`),
  done: () => undefined
})
