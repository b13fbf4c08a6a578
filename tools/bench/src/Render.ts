/** The report as the Markdown between docs/benchmarks.md's markers. */
import { table } from "./internal/markdown.js"
import type { Report, Target } from "./Report.js"

const seconds = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1)

const times = (count: number) => (count === 1 ? "once" : `${count} times`)

const figure = (t: Target) => (t.value === undefined ? "–" : `${t.value} ${t.unit}`)

const limitOf = (t: Target) =>
  t.limit === undefined ? `${t.comparison} ?` : `${t.comparison} ${t.limit} ${t.unit}`

const statusOf = (t: Target) =>
  t.status === "met" ? "yes" : t.status === "not met" ? "**no**" : "not measured"

const targetTable = (heading: string, targets: ReadonlyArray<Target>) =>
  table(
    [heading, "measured", "limit", "met", "note"],
    ["left", "right", "right", "left", "left"],
    targets.map((t) => [t.name, figure(t), limitOf(t), statusOf(t), t.basis ?? ""])
  )

export const markdown = (report: Report): string => {
  const m = report.machine
  const { all, original } = report.repetitions
  const lines: Array<string> = [
    `Measured ${m.date.slice(0, 10)} on commit \`${m.commit}\`: ${m.cpuCount} × ${m.cpuModel}, ` +
      `${m.totalMemGb} GB, Node ${m.node}, load average ${m.loadAverage.join(" / ")} at the start. ` +
      `The whole bench took ${seconds(report.totalWallMs)} s. Each scenario ran ${times(all)}` +
      (original === all ? "" : ` (the original's shape ${times(original)})`) +
      "; every figure is the median of its runs, and the ratios and targets are computed from those medians.",
    "",
    table(
      [
        "scenario",
        "runs",
        "n",
        "wall s",
        "CPU s",
        "n/s",
        "peak RSS MB",
        "DFØ GET / PUT",
        "retries"
      ],
      ["left", "right", "right", "right", "right", "right", "right", "right", "right"],
      report.scenarios.map((r) => [
        r.name,
        String(r.repetitions.length),
        String(r.users),
        seconds(r.wallMs),
        seconds(r.cpuMs),
        String(r.usersPerSec),
        String(r.peakRssMb),
        r.dfoRequests === undefined
          ? "–"
          : `${r.dfoRequests["GET"] ?? 0} / ${(r.dfoRequests["PUT"] ?? 0) + (r.dfoRequests["PATCH"] ?? 0)}`,
        r.retries === undefined ? "–" : String(r.retries)
      ])
    ),
    "",
    "Targets (issues #21 and #22):",
    "",
    targetTable("target", report.targets)
  ]
  if (report.checks.length > 0) {
    lines.push("", "Checks (every run):", "", targetTable("check", report.checks))
  }
  if (report.ratios.length > 0) {
    lines.push(
      "",
      table(
        ["ratio", "wall", "CPU"],
        ["left", "right", "right"],
        report.ratios.map((r) => [r.name, `${r.value} ×`, r.cpu === undefined ? "–" : `${r.cpu} ×`])
      )
    )
  }
  const figures = report.scenarios.flatMap((r) => {
    const text = Object.entries(r.metrics)
      .map(([key, value]) => `${key} ${value}`)
      .join(", ")
    return text === "" ? [] : [`- ${r.name}: ${text}`]
  })
  if (figures.length > 0) lines.push("", "Figures per scenario (medians):", "", ...figures)
  for (const f of report.failures) lines.push("", `${f.name} failed: ${f.error}`)
  return lines.join("\n")
}

export const startMarker = "<!-- bench:start -->"
export const endMarker = "<!-- bench:end -->"

/** The doc with everything between the markers replaced by `content`. */
export const replaceBetweenMarkers = (doc: string, content: string): string => {
  const start = doc.indexOf(startMarker)
  const end = doc.indexOf(endMarker)
  // Blank lines around the content, as Prettier wants them.
  if (start < 0 || end < start) {
    return `${doc.trimEnd()}\n\n${startMarker}\n\n${content}\n\n${endMarker}\n`
  }
  return `${doc.slice(0, start + startMarker.length)}\n\n${content}\n\n${doc.slice(end)}`
}
