/** The scenarios of a bench run and their sizes, full or `--quick`. */
import { defaultMapping, requestedAttributes } from "@dfo-writeback/domain"
import type { Params } from "./internal/protocol.js"

export type Group =
  "floors" | "stream" | "dfo-client" | "full-run" | "incremental" | "original" | "grpc" | "events"

export interface ScenarioSpec {
  readonly name: string
  readonly group: Group
  /** What it measures, for the report and the doc. */
  readonly title: string
  /** Generated people in the directory (and, where DFØ is used, in DFØ). */
  readonly users: number
  /** Needs a slapd holding `users` people. */
  readonly ldap: boolean
  /**
   * Needs the emulator: DFØ's copy of the people with `changeShare` stale, at `latencyMs`,
   * topped up to `listSize` employees with people who have no directory entry.
   */
  readonly dfo?: {
    readonly changeShare: number
    readonly latencyMs: number
    readonly listSize?: number
  }
  /** Needs the throw-away RabbitMQ (one for the whole bench). */
  readonly broker?: boolean
  /**
   * Entries modified just before each run (an attribute the run ignores), so an
   * incremental run's window finds them; the directory is loaded with an old timestamp.
   */
  readonly modified?: number
  readonly params: Params
}

export interface Sizes {
  /** Directory sizes of the floors; the largest is also the stream's and the big full run's. */
  readonly directories: ReadonlyArray<number>
  /** The size of the change runs, the original's shape and the gRPC scenario. */
  readonly changeRun: number
  /** DFØ's employees in the large-list run, over a directory of the largest size. */
  readonly dfoList: number
  readonly dfoRequests: { readonly fast: number; readonly slow: number }
  readonly grpc: {
    readonly sequential: number
    readonly concurrentCalls: number
    readonly clients: number
    readonly fullRuns: number
  }
  readonly events: {
    /** Distinct people, one relevant event each, in each phase. */
    readonly relevant: number
    readonly irrelevant: number
  }
}

export const fullSizes: Sizes = {
  directories: [10_000, 50_000],
  changeRun: 10_000,
  dfoList: 200_000,
  dfoRequests: { fast: 5_000, slow: 2_000 },
  grpc: { sequential: 1_000, concurrentCalls: 2_000, clients: 32, fullRuns: 2 },
  events: { relevant: 2_000, irrelevant: 20_000 }
}

export const quickSizes: Sizes = {
  directories: [2_000],
  changeRun: 2_000,
  dfoList: 8_000,
  dfoRequests: { fast: 1_000, slow: 200 },
  grpc: { sequential: 200, concurrentCalls: 200, clients: 32, fullRuns: 2 },
  events: { relevant: 300, irrelevant: 3_000 }
}

/** The seed of the generated people; the same everywhere, so backends and children agree. */
export const seed = 1

/** Emulator latency of the change runs and the original's shape. */
export const slowLatencyMs = 20

/**
 * The relevant events' latency phase runs at half the rate the server drained them at, at
 * most this: under its capacity, so each event meets an idle consumer (latency, not queue).
 */
export const eventRatePerSec = 300

/** `SAP_CONCURRENCY` of the change runs, which their time target divides by. */
export const changeConcurrency = 8

/**
 * The incremental scenario (issue #22's target): the entries changed within its window, and
 * the window a site runs every 10 minutes.
 */
export const incremental = { changed: 50, windowSeconds: 15 * 60 } as const

/** How many times each scenario runs; the report shows the median of each figure. */
export interface Repetitions {
  readonly all: number
  /** The original's shape is latency-bound (minutes at full size): it may run fewer times. */
  readonly original: number
}

/**
 * Three of everything: at full size the bench then takes about 18 minutes on the reference
 * machine, 10 of them the original's shape (3 × ~200 s).
 */
export const defaultRepetitions: Repetitions = { all: 3, original: 3 }

/** `--quick` is a local check of the harness, not figures to compare: once each. */
export const quickRepetitions: Repetitions = { all: 1, original: 1 }

export const repetitionsOf = (spec: ScenarioSpec, repetitions: Repetitions): number =>
  spec.group === "original" ? repetitions.original : repetitions.all

/** `50000` → `50k`, `2500` → `2.5k`. */
export const sizeLabel = (n: number): string =>
  n >= 1000 ? `${Number((n / 1000).toFixed(1))}k` : String(n)

const percentLabel = (share: number) => `${Math.round(share * 100)}pct`

export const names = {
  ldapsearch: (n: number) => `floor-ldapsearch-${sizeLabel(n)}`,
  ldapts: (n: number) => `floor-ldapts-${sizeLabel(n)}`,
  stream: (n: number) => `stream-${sizeLabel(n)}`,
  dfoClient: (latencyMs: number) => `dfo-client-${latencyMs}ms`,
  unchanged: (n: number) => `full-unchanged-${sizeLabel(n)}`,
  largeList: (n: number, employees: number) =>
    `full-unchanged-${sizeLabel(n)}-dfo${sizeLabel(employees)}`,
  incremental: (changed: number, n: number) => `incremental-${changed}-of-${sizeLabel(n)}`,
  change: (share: number, n: number) => `full-change-${percentLabel(share)}-${sizeLabel(n)}`,
  original: (share: number, n: number) => `original-${percentLabel(share)}-${sizeLabel(n)}`,
  grpc: (n: number) => `grpc-single-user-${sizeLabel(n)}`,
  eventsRelevant: (n: number) => `events-relevant-${sizeLabel(n)}`,
  eventsIrrelevant: (n: number) => `events-irrelevant-${sizeLabel(n)}`
}

export const changeShares = [0.01, 0.1] as const

/** What a full run asks the directory for, with the contract's default mapping. */
const attributes = requestedAttributes(defaultMapping)

/** Every scenario, in the order they run. */
export const scenarios = (sizes: Sizes): ReadonlyArray<ScenarioSpec> => {
  const largest = Math.max(...sizes.directories)
  const n = sizes.changeRun
  const slow = { changeShare: 0.01, latencyMs: slowLatencyMs }
  return [
    ...sizes.directories.flatMap((users): ReadonlyArray<ScenarioSpec> => [
      {
        name: names.ldapsearch(users),
        group: "floors",
        title: "ldapsearch -E pr=500 of the mapped attributes to /dev/null (the C floor)",
        users,
        ldap: true,
        params: { kind: "ldapsearch", attributes }
      },
      {
        name: names.ldapts(users),
        group: "floors",
        title: "bare ldapts searchPaginated, page size 500, same attributes",
        users,
        ldap: true,
        params: { kind: "ldapts", attributes }
      }
    ]),
    {
      name: names.stream(largest),
      group: "stream",
      title: "PortalDirectory.streamAll() drained (paged read + decoding into PortalUser)",
      users: largest,
      ldap: true,
      params: { kind: "stream" }
    },
    ...[0, slowLatencyMs].map((latencyMs): ScenarioSpec => ({
      name: names.dfoClient(latencyMs),
      group: "dfo-client",
      title: `DfoEmployees.get vs raw undici Pool request(), emulator latency ${latencyMs} ms, 8 and 32 in flight`,
      users: n,
      ldap: false,
      dfo: { changeShare: 0, latencyMs },
      params: {
        kind: "dfo-client",
        requests: latencyMs === 0 ? sizes.dfoRequests.fast : sizes.dfoRequests.slow,
        concurrencies: [8, 32]
      }
    })),
    ...sizes.directories.map((users): ScenarioSpec => ({
      name: names.unchanged(users),
      group: "full-run",
      title: "full run, nothing to change, emulator 0 ms, defaults (SAP_MAX_RPS=1000)",
      users,
      ldap: true,
      dfo: { changeShare: 0, latencyMs: 0 },
      params: { kind: "full-run", env: {} }
    })),
    {
      name: names.largeList(largest, sizes.dfoList),
      group: "full-run",
      title: `full run, nothing to change, DFØ's list ${sizes.dfoList} employees (most without an account), emulator 0 ms`,
      users: largest,
      ldap: true,
      dfo: { changeShare: 0, latencyMs: 0, listSize: sizes.dfoList },
      params: { kind: "full-run", env: {} }
    },
    {
      name: names.incremental(incremental.changed, largest),
      group: "incremental",
      title: `incremental run (--changed-since ${incremental.windowSeconds / 60}m), ${incremental.changed} entries modified just before it, emulator 0 ms, defaults`,
      users: largest,
      ldap: true,
      modified: incremental.changed,
      dfo: { changeShare: 0, latencyMs: 0 },
      params: { kind: "full-run", env: {}, changedSinceSeconds: incremental.windowSeconds }
    },
    ...changeShares.map((share): ScenarioSpec => ({
      name: names.change(share, n),
      group: "full-run",
      title: `full run, ${share * 100} % to change, emulator ${slowLatencyMs} ms, concurrency ${changeConcurrency}, bulk list`,
      users: n,
      ldap: true,
      dfo: { changeShare: share, latencyMs: slowLatencyMs },
      // The mass-update guard (default 1000) would stop the 10 % run before it writes.
      params: {
        kind: "full-run",
        env: { WRITEBACK_MAX_UPDATES: String(n), SAP_CONCURRENCY: String(changeConcurrency) }
      }
    })),
    {
      name: names.original(slow.changeShare, n),
      group: "original",
      title: `the original script's shape: concurrency 1, one GET per user, 1 % to change, ${slowLatencyMs} ms`,
      users: n,
      ldap: true,
      dfo: slow,
      params: { kind: "full-run", env: { SAP_CONCURRENCY: "1", SAP_BULK_LIST: "false" } }
    },
    {
      name: names.grpc(n),
      group: "grpc",
      title:
        "single-user calls over gRPC to the built server vs in-process; server RSS around full runs",
      users: n,
      ldap: true,
      dfo: { changeShare: 0, latencyMs: 0 },
      params: { kind: "grpc", ...sizes.grpc }
    },
    {
      name: names.eventsRelevant(sizes.events.relevant),
      group: "events",
      title: `SCIM MODIFY ["emails"] events through RabbitMQ to the built server, debounce 0, emulator 0 ms: all at once, then event → PUT at a steady rate (≤ ${eventRatePerSec}/s); server CPU`,
      users: n,
      ldap: true,
      dfo: { changeShare: 0, latencyMs: 0 },
      broker: true,
      params: {
        kind: "events-relevant",
        people: sizes.events.relevant,
        maxRatePerSec: eventRatePerSec
      }
    },
    {
      name: names.eventsIrrelevant(sizes.events.irrelevant),
      group: "events",
      title:
        'SCIM MODIFY ["displayName"] events published as fast as RabbitMQ takes them, drained by the built server; server CPU',
      users: n,
      ldap: true,
      dfo: { changeShare: 0, latencyMs: 0 },
      broker: true,
      params: { kind: "events-irrelevant", events: sizes.events.irrelevant }
    }
  ]
}

/** The scenarios `--only` names: each item an exact name or a group. */
export const select = (
  all: ReadonlyArray<ScenarioSpec>,
  only: ReadonlyArray<string> | undefined
): ReadonlyArray<ScenarioSpec> =>
  only === undefined ? all : all.filter((s) => only.includes(s.name) || only.includes(s.group))
