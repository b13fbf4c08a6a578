/** The bench's report: per-scenario figures, ratios, targets; as JSON and as a Markdown table. */
import type { Machine } from "./internal/machine.js"
import { table } from "./internal/markdown.js"
import { round } from "./internal/timing.js"
import {
  changeShares,
  type Group,
  names,
  type ScenarioSpec,
  type Sizes,
  slowLatencyMs
} from "./Plan.js"

export interface ScenarioResult {
  readonly name: string
  readonly group: Group
  readonly title: string
  readonly users: number
  readonly wallMs: number
  readonly usersPerSec: number
  readonly peakRssMb: number
  /** Requests the emulator answered during the scenario, by method. */
  readonly dfoRequests?: Readonly<Record<string, number>>
  readonly retries?: number
  readonly metrics: Readonly<Record<string, number>>
}

export interface Ratio {
  readonly name: string
  readonly value: number
}

export interface Target {
  readonly name: string
  readonly value: number
  readonly comparison: "<=" | ">=" | "=="
  readonly limit: number
  readonly unit: string
  readonly met: boolean
}

export interface Report {
  readonly mode: "full" | "quick"
  readonly machine: Machine
  /** Wall time of the whole bench, set-up of slapd and the emulator included. */
  readonly totalWallMs: number
  readonly scenarios: ReadonlyArray<ScenarioResult>
  readonly ratios: ReadonlyArray<Ratio>
  readonly targets: ReadonlyArray<Target>
  /** Scenarios that did not finish, with why. */
  readonly failures: ReadonlyArray<{ readonly name: string; readonly error: string }>
}

const target = (
  name: string,
  value: number,
  comparison: Target["comparison"],
  limit: number,
  unit: string
): Target => ({
  name,
  value: round(value),
  comparison,
  limit: round(limit),
  unit,
  met: comparison === "<=" ? value <= limit : comparison === ">=" ? value >= limit : value === limit
})

const metric = (result: ScenarioResult, key: string) => result.metrics[key] ?? 0

/** The ratios issue #3 asks for, and the targets of the performance design, where measured. */
export const evaluate = (
  sizes: Sizes,
  results: ReadonlyArray<ScenarioResult>
): { readonly ratios: ReadonlyArray<Ratio>; readonly targets: ReadonlyArray<Target> } => {
  const find = (name: string) => results.find((r) => r.name === name)
  const largest = Math.max(...sizes.directories)
  const n = sizes.changeRun
  const ratios: Array<Ratio> = []
  const targets: Array<Target> = []
  const ratio = (name: string, a: ScenarioResult | undefined, b: ScenarioResult | undefined) => {
    if (a !== undefined && b !== undefined && b.wallMs > 0) {
      ratios.push({ name, value: round(a.wallMs / b.wallMs) })
    }
  }

  for (const users of sizes.directories) {
    ratio(
      `ldapts / ldapsearch (${users})`,
      find(names.ldapts(users)),
      find(names.ldapsearch(users))
    )
  }
  const stream = find(names.stream(largest))
  ratio(`streamAll / ldapsearch (${largest})`, stream, find(names.ldapsearch(largest)))
  ratio(`streamAll / bare ldapts (${largest})`, stream, find(names.ldapts(largest)))
  const bigRun = find(names.unchanged(largest))
  ratio(`full run unchanged / ldapsearch (${largest})`, bigRun, find(names.ldapsearch(largest)))
  ratio(`full run unchanged / bare ldapts (${largest})`, bigRun, find(names.ldapts(largest)))

  const floor = find(names.ldapts(largest))
  if (bigRun !== undefined && floor !== undefined) {
    targets.push(
      target(
        `full run, nothing to change, ${largest} users: time / bare ldapts floor`,
        bigRun.wallMs / floor.wallMs,
        "<=",
        2,
        "×"
      )
    )
  }
  if (bigRun !== undefined) {
    targets.push(target(`full run, ${largest} users: peak RSS`, bigRun.peakRssMb, "<=", 350, "MB"))
  }

  const unchanged = find(names.unchanged(n))
  for (const share of changeShares) {
    const run = find(names.change(share, n))
    if (run === undefined) continue
    const updates = metric(run, "updated")
    const label = `${share * 100} % to change, ${n} users`
    if (unchanged !== undefined) {
      // The writes at 8 in flight, each a re-read and a PUT at the emulator's latency.
      const writeMs = (2 * updates * slowLatencyMs) / 8
      targets.push(
        target(`${label}: time`, run.wallMs, "<=", unchanged.wallMs + 1.5 * writeMs, "ms")
      )
    }
    const requests = run.dfoRequests ?? {}
    targets.push(
      target(
        `${label}: DFØ requests (1 list + ${updates} re-reads + ${updates} PUTs)`,
        (requests["GET"] ?? 0) + (requests["PUT"] ?? 0) + (requests["PATCH"] ?? 0),
        "==",
        1 + 2 * updates,
        "requests"
      )
    )
  }

  const original = find(names.original(changeShares[0], n))
  const ours = find(names.change(changeShares[0], n))
  if (original !== undefined && ours !== undefined) {
    targets.push(
      target(
        `original's shape / ours (1 % to change, ${n} users)`,
        original.wallMs / ours.wallMs,
        ">=",
        100,
        "×"
      )
    )
  }

  const grpc = find(names.grpc(n))
  if (grpc !== undefined) {
    targets.push(
      target("single user over gRPC: p50", metric(grpc, "grpcP50Ms"), "<=", 15, "ms"),
      target("single user over gRPC: p99", metric(grpc, "grpcP99Ms"), "<=", 50, "ms"),
      target(
        "server RSS growth around full runs over gRPC",
        metric(grpc, "serverRssGrowthPct"),
        "<=",
        20,
        "%"
      ),
      target("single user: failed calls", metric(grpc, "errors"), "==", 0, "calls")
    )
  }
  return { ratios, targets }
}

/** A child's output as a report row. */
export const resultOf = (
  spec: ScenarioSpec,
  measured: {
    readonly wallMs: number
    readonly users?: number
    readonly peakRssMb: number
    readonly retries?: number
    readonly metrics: Readonly<Record<string, number>>
  },
  dfoRequests: Readonly<Record<string, number>> | undefined
): ScenarioResult => {
  const users = measured.users ?? spec.users
  return {
    name: spec.name,
    group: spec.group,
    title: spec.title,
    users,
    wallMs: round(measured.wallMs, 1),
    usersPerSec: round(measured.wallMs > 0 ? (users * 1000) / measured.wallMs : 0, 0),
    peakRssMb: round(measured.peakRssMb, 1),
    ...(dfoRequests === undefined ? {} : { dfoRequests }),
    ...(measured.retries === undefined ? {} : { retries: measured.retries }),
    metrics: Object.fromEntries(
      Object.entries(measured.metrics).map(([key, value]) => [key, round(value)])
    )
  }
}

const seconds = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1)

/** The Markdown that goes between the doc's markers. */
export const markdown = (report: Report): string => {
  const m = report.machine
  const lines: Array<string> = [
    `Measured ${m.date.slice(0, 10)} on commit \`${m.commit}\`: ${m.cpuCount} × ${m.cpuModel}, ` +
      `${m.totalMemGb} GB, Node ${m.node}, load average ${m.loadAverage.join(" / ")} at the start. ` +
      `The whole bench took ${seconds(report.totalWallMs)} s.`,
    "",
    table(
      ["scenario", "n", "wall s", "n/s", "peak RSS MB", "DFØ GET / PUT", "retries"],
      ["left", "right", "right", "right", "right", "right", "right"],
      report.scenarios.map((r) => [
        r.name,
        String(r.users),
        seconds(r.wallMs),
        String(r.usersPerSec),
        String(r.peakRssMb),
        r.dfoRequests === undefined
          ? "–"
          : `${r.dfoRequests["GET"] ?? 0} / ${(r.dfoRequests["PUT"] ?? 0) + (r.dfoRequests["PATCH"] ?? 0)}`,
        r.retries === undefined ? "–" : String(r.retries)
      ])
    ),
    "",
    "Figures per scenario:",
    ""
  ]
  for (const r of report.scenarios) {
    const figures = Object.entries(r.metrics)
      .map(([key, value]) => `${key} ${value}`)
      .join(", ")
    if (figures !== "") lines.push(`- ${r.name}: ${figures}`)
  }
  if (report.ratios.length > 0) {
    lines.push(
      "",
      table(
        ["ratio", "value"],
        ["left", "right"],
        report.ratios.map((r) => [r.name, `${r.value} ×`])
      )
    )
  }
  if (report.targets.length > 0) {
    lines.push(
      "",
      table(
        ["target", "measured", "limit", "met"],
        ["left", "right", "right", "left"],
        report.targets.map((t) => [
          t.name,
          `${t.value} ${t.unit}`,
          `${t.comparison} ${t.limit} ${t.unit}`,
          t.met ? "yes" : "**no**"
        ])
      )
    )
  }
  for (const f of report.failures) lines.push("", `${f.name} failed: ${f.error}`)
  return lines.join("\n")
}

export const startMarker = "<!-- bench:start -->"
export const endMarker = "<!-- bench:end -->"

/** The doc with everything between the markers replaced by `table`. */
export const replaceBetweenMarkers = (doc: string, table: string): string => {
  const start = doc.indexOf(startMarker)
  const end = doc.indexOf(endMarker)
  // Blank lines around the table, as Prettier wants them.
  if (start < 0 || end < start) {
    return `${doc.trimEnd()}\n\n${startMarker}\n\n${table}\n\n${endMarker}\n`
  }
  return `${doc.slice(0, start + startMarker.length)}\n\n${table}\n\n${doc.slice(end)}`
}
