import type { RunSummary, UserResult, WritebackEvent } from "@dfo-writeback/domain"
import { LogFormat } from "@dfo-writeback/edge"
import * as ChangedSince from "./ChangedSince.js"
import type * as CutWrites from "./CutWrites.js"
import * as Progress from "./Progress.js"
import * as RunView from "./RunView.js"

/**
 * Text from outside (LDAP values, DFØ's faultText) as the terminal shows it: control
 * characters escaped, so none clears the screen, moves the cursor or starts a fake line.
 */
const safe = (text: string): string => LogFormat.escapeControl(LogFormat.clip(text, 512))

/** Renders a run for a person: result lines, a progress line on a terminal, a summary table. */
export interface Output {
  /** Shows one event; `view` is the run as it stands after it. */
  readonly event: (event: RunView.Event, view: RunView.View) => void
  /** Redraws the progress line, if any, from `view` (a ticker between events). */
  readonly progress: (view: RunView.View) => void
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

/**
 * One line a user: on a terminal a night of 1 000 writes is 1 000 lines, the changes
 * (before → after) and kept fields on the same line.
 */
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
      ` · ${safe(c.field)} ${safe(JSON.stringify(c.before))} → ${safe(JSON.stringify(c.after))}`
  )
  const kept = r.keptFields.length > 0 ? ` · kept ${safe(r.keptFields.join(", "))}` : ""
  return `${r.outcome.padEnd(12)} ${who}${why ? ` [${why}]` : ""} ${safe(r.message)}${changes.join("")}${kept}`
}

/** Skips by reason, most frequent first: `NOT_IN_SAP 2, DISABLED 1`. */
const skipReasons = (s: RunSummary) =>
  Object.entries(s.skippedByReason)
    .sort(([a, x], [b, y]) => (y ?? 0) - (x ?? 0) || a.localeCompare(b))
    .map(([reason, count]) => `${reason} ${String(count)}`)
    .join(", ")

const summaryTable = (s: RunSummary, unknown: ReadonlyArray<CutWrites.Write>) => {
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
  if (unknown.length > 0) {
    // Counted among the failed updates; each is listed on stderr and in the log.
    rows.splice(rows.findIndex(([k]) => k === "fetch failed") + 1, 0, [
      "outcome unknown",
      `${unknown.length} (cut mid-request, counted as update failed: check DFØ)`
    ])
  }
  if (s.aborted) rows.push(["ABORTED", safe(s.abortReason)])
  const width = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join("\n")
}

/** How often the terminal's progress line is redrawn at most. */
const redrawMs = 100

/**
 * Human output. Single-user runs show their one result; full runs show every user
 * that was or would be written or that failed (the rest are in the counters), and on a
 * terminal a progress line with the total and an estimate once the run knows its size.
 */
/** An incremental run's window on its first line. */
const window = (seconds: number) =>
  seconds === 0 ? "" : ` (entries changed in the last ${ChangedSince.format(seconds)})`

export const human = ({ out, err }: Streams, processAll: () => boolean): Output => {
  const live = () => err.isTTY === true && processAll()
  // The terminal's state: whether the progress line is on screen, when it was drawn.
  const screen = { shown: false, lastDraw: 0, startedAt: Date.now(), view: RunView.initial }
  const clear = () => {
    if (screen.shown) err.write("\r\x1b[2K")
    screen.shown = false
  }
  const render = () => {
    if (!live()) return
    const now = Date.now()
    screen.lastDraw = now
    err.write(Progress.line(Progress.at(screen.view, screen.startedAt, now)))
    screen.shown = true
  }
  const tick = () => {
    if (Date.now() - screen.lastDraw < redrawMs) return
    clear()
    render()
  }
  const above = (write: () => void) => {
    const wasShown = screen.shown
    clear()
    write()
    if (wasShown) render()
  }
  return {
    event: (event, view) => {
      screen.view = view
      switch (event._tag) {
        case "RunStarted":
          screen.startedAt = Date.now()
          above(() =>
            out.write(
              `run ${safe(event.runId)}${event.logOnly ? " (log only)" : ""}${event.readOnly ? " (SAP_READ_ONLY)" : ""}${window(event.changedSinceSeconds)}\n`
            )
          )
          return
        case "UserResult":
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
          out.write(`${summaryTable(event, view.unknown)}\n`)
          return
        case "Total":
          tick()
          return
        case "Cut":
        case "Counted":
          return
      }
    },
    progress: (view) => {
      screen.view = view
      tick()
    },
    log: (line) => above(() => logTo(err, line)),
    error: (text) => above(() => err.write(`${text}\n`)),
    done: clear
  }
}

/** `--json`: one WritebackEvent a line in protobuf canonical JSON; nothing else on stdout. */
export const json = ({ out, err }: Streams, encode: (event: WritebackEvent) => string): Output => ({
  event: (event) => {
    if (event._tag === "Total" || event._tag === "Cut" || event._tag === "Counted") return
    out.write(`${encode(event)}\n`)
  },
  progress: () => undefined,
  log: (line) => logTo(err, line),
  error: (text) => err.write(`${text}\n`),
  done: () => undefined
})
