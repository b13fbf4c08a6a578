/** The bench's report: each scenario's repetitions and their medians, ratios, targets, checks. */
import type { Machine } from "./internal/machine.js"
import { median, medianByKey } from "./internal/median.js"
import { round } from "./internal/timing.js"
import type { Group, ScenarioSpec } from "./Plan.js"

/** What one run of a scenario measured. */
export interface Repetition {
  readonly wallMs: number
  /** User + system CPU time of the measured process over the same part as `wallMs`. */
  readonly cpuMs: number
  /** Entries or users the timed part went through. */
  readonly users: number
  /** The measured process's own peak resident set (`VmHWM`), in MB. */
  readonly peakRssMb: number
  /** Requests the emulator answered during the run, by method. */
  readonly dfoRequests?: Readonly<Record<string, number>>
  readonly retries?: number
  readonly metrics: Readonly<Record<string, number>>
}

/** A scenario's figures: each the median over its repetitions, which are kept alongside. */
export interface ScenarioResult {
  readonly name: string
  readonly group: Group
  readonly title: string
  readonly users: number
  readonly wallMs: number
  readonly cpuMs: number
  readonly usersPerSec: number
  readonly peakRssMb: number
  readonly dfoRequests?: Readonly<Record<string, number>>
  readonly retries?: number
  readonly metrics: Readonly<Record<string, number>>
  readonly repetitions: ReadonlyArray<Repetition>
}

export interface Ratio {
  readonly name: string
  /** The ratio of the wall times. */
  readonly value: number
  /** The ratio of the CPU times, when both sides measured one. */
  readonly cpu?: number
}

/**
 * A figure held against a limit. `value` is absent when this run did not measure it (a
 * scenario left out with `--only`, or failed); then `status` says so.
 */
export interface Target {
  readonly name: string
  readonly value?: number
  readonly comparison: "<=" | ">=" | "=="
  readonly limit?: number
  readonly unit: string
  /** How the limit or the figure was derived, when it is not a constant. */
  readonly basis?: string
  readonly status: "met" | "not met" | "not measured"
}

export interface Report {
  readonly mode: "full" | "quick"
  readonly machine: Machine
  /** Wall time of the whole bench, set-up of slapd and the emulator included. */
  readonly totalWallMs: number
  /** Runs of each scenario asked for; the original's shape may run fewer times. */
  readonly repetitions: { readonly all: number; readonly original: number }
  readonly scenarios: ReadonlyArray<ScenarioResult>
  readonly ratios: ReadonlyArray<Ratio>
  /** Issues #21's and #22's targets, each met or not from this run's medians. */
  readonly targets: ReadonlyArray<Target>
  /** What a run must do whatever its speed (request counts, no failed calls). */
  readonly checks: ReadonlyArray<Target>
  /** Scenarios that did not finish, with why. */
  readonly failures: ReadonlyArray<{ readonly name: string; readonly error: string }>
}

/** A child's output and the emulator's request counts as one repetition. */
export const repetitionOf = (
  spec: ScenarioSpec,
  measured: {
    readonly wallMs: number
    readonly cpuMs: number
    readonly users?: number
    readonly peakRssMb: number
    readonly retries?: number
    readonly metrics: Readonly<Record<string, number>>
  },
  dfoRequests: Readonly<Record<string, number>> | undefined
): Repetition => ({
  wallMs: round(measured.wallMs, 1),
  cpuMs: round(measured.cpuMs, 1),
  users: measured.users ?? spec.users,
  peakRssMb: round(measured.peakRssMb, 1),
  ...(dfoRequests === undefined ? {} : { dfoRequests: { ...dfoRequests } }),
  ...(measured.retries === undefined ? {} : { retries: measured.retries }),
  metrics: Object.fromEntries(
    Object.entries(measured.metrics).map(([key, value]) => [key, round(value)])
  )
})

const roundAll = (record: Readonly<Record<string, number>>) =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, round(value)]))

/** A scenario's row: every figure the median of its repetitions (at least one). */
export const resultOf = (
  spec: ScenarioSpec,
  repetitions: ReadonlyArray<Repetition>
): ScenarioResult => {
  const of = (figure: (r: Repetition) => number) => median(repetitions.map(figure)) ?? 0
  const wallMs = round(
    of((r) => r.wallMs),
    1
  )
  const users = Math.round(of((r) => r.users))
  const withDfo = repetitions.flatMap((r) => (r.dfoRequests === undefined ? [] : [r.dfoRequests]))
  const retries = repetitions.flatMap((r) => (r.retries === undefined ? [] : [r.retries]))
  return {
    name: spec.name,
    group: spec.group,
    title: spec.title,
    users,
    wallMs,
    cpuMs: round(
      of((r) => r.cpuMs),
      1
    ),
    usersPerSec: round(wallMs > 0 ? (users * 1000) / wallMs : 0, 0),
    peakRssMb: round(
      of((r) => r.peakRssMb),
      1
    ),
    ...(withDfo.length === 0 ? {} : { dfoRequests: roundAll(medianByKey(withDfo)) }),
    ...(retries.length === 0 ? {} : { retries: round(median(retries) ?? 0) }),
    metrics: roundAll(medianByKey(repetitions.map((r) => r.metrics))),
    repetitions
  }
}
