import type { RunSummary, UserResult, WritebackEvent } from "@dfo-writeback/domain"

/** Renders a run for a person: result lines, a progress line on a terminal, a summary table. */
export interface Output {
  readonly event: (event: WritebackEvent) => void
  /** Writes a log line without tearing the progress line. */
  readonly log: (line: string) => void
  readonly error: (text: string) => void
  readonly done: () => void
}

interface Streams {
  readonly out: NodeJS.WriteStream
  readonly err: NodeJS.WriteStream
}

const describeUser = (r: UserResult) => {
  const who = [
    r.username || r.uhUsername || r.idautoId || "(no idautoID)",
    r.sapId && `sap ${r.sapId}`
  ]
    .filter(Boolean)
    .join(" ")
  const why = r.skipReason ?? r.errorCode ?? ""
  const changes = r.changes.map(
    (c) => `\n    ${c.field}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`
  )
  const kept = r.keptFields.length > 0 ? `\n    kept: ${r.keptFields.join(", ")}` : ""
  return `${r.outcome.padEnd(12)} ${who}${why ? ` [${why}]` : ""} ${r.message}${changes.join("")}${kept}`
}

const summaryTable = (s: RunSummary) => {
  const rows: Array<[string, string]> = [
    ["run", s.runId],
    ["total", String(s.total)],
    ["updated", String(s.updated)],
    ["would update", String(s.wouldUpdate)],
    ["unchanged", String(s.unchanged)],
    ["skipped", String(s.skipped)],
    ["update failed", String(s.updateFailed)],
    ["fetch failed", String(s.fetchFailed)],
    ["log only", s.logOnly ? "yes" : "no"],
    ["duration", `${(s.durationMs / 1000).toFixed(1)} s`]
  ]
  if (s.aborted) rows.push(["ABORTED", s.abortReason])
  const width = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join("\n")
}

/**
 * Human output. Single-user runs show their one result; full runs show every user
 * that was or would be written or that failed (the rest are in the counters).
 */
export const human = ({ out, err }: Streams, processAll: () => boolean): Output => {
  const tty = err.isTTY === true
  let progress = ""
  let seen = 0
  let startedAt = Date.now()
  let lastDraw = 0
  const clear = () => {
    if (tty && progress !== "") err.write("\r\x1b[2K")
  }
  const redraw = () => {
    if (tty && progress !== "") err.write(progress)
  }
  const draw = (force: boolean) => {
    if (!tty || !processAll()) return
    const now = Date.now()
    if (!force && now - lastDraw < 100) return
    lastDraw = now
    const rate = seen / Math.max(0.001, (now - startedAt) / 1000)
    clear()
    progress = `examined ${seen} users · ${rate.toFixed(0)}/s`
    err.write(progress)
  }
  const above = (write: () => void) => {
    clear()
    write()
    redraw()
  }
  return {
    event: (event) => {
      switch (event._tag) {
        case "RunStarted":
          startedAt = Date.now()
          above(() =>
            out.write(
              `run ${event.runId}${event.logOnly ? " (log only)" : ""}${event.readOnly ? " (SAP_READ_ONLY)" : ""}\n`
            )
          )
          return
        case "UserResult":
          seen += 1
          if (!processAll() || ["UPDATED", "WOULD_UPDATE", "FAILED"].includes(event.outcome)) {
            above(() => out.write(`${describeUser(event)}\n`))
          }
          draw(false)
          return
        case "RunSummary":
          clear()
          progress = ""
          out.write(`${summaryTable(event)}\n`)
          return
      }
    },
    log: (line) => above(() => err.write(`${line}\n`)),
    error: (text) => above(() => err.write(`${text}\n`)),
    done: () => {
      clear()
      progress = ""
    }
  }
}

/** `--json`: one WritebackEvent a line in protobuf canonical JSON; nothing else on stdout. */
export const json = ({ out, err }: Streams, encode: (event: WritebackEvent) => string): Output => ({
  event: (event) => {
    out.write(`${encode(event)}\n`)
  },
  log: (line) => err.write(`${line}\n`),
  error: (text) => err.write(`${text}\n`),
  done: () => undefined
})
