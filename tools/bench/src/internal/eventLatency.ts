/**
 * Events matched to the PUTs their runs made: the emulator logs each request's arrival on
 * a clock comparable with ours (same host, `performance.timeOrigin + now()`), so publication
 * → arrival is the event's time to reach DFØ.
 */

/** An event as published: the DFØ id its run writes to, when, and the `epost` it must write. */
export interface Sent {
  readonly id: string
  /** Milliseconds since the epoch, sub-millisecond. */
  readonly at: number
  readonly epost: string
}

/** A request from the emulator's log (the fields read here). */
export interface Arrival {
  readonly method: string
  /** The path as requested, base path included: `…/ansatte/v2/00100042`. */
  readonly path: string
  readonly time: number
  readonly body?: unknown
}

export interface Matched {
  /** Publication → the first PUT for its id at or after it, in ms, in the order published. */
  readonly latencies: ReadonlyArray<number>
  /** The last of those PUTs' arrival (ms since the epoch); the first publication if none. */
  readonly lastArrival: number
  /** Events no PUT answered. */
  readonly missing: number
  /** First PUTs whose body was not exactly `{"epost": <expected>}`. */
  readonly wrong: number
  /** Further PUTs for the same ids after their event: a run writing twice. */
  readonly duplicates: number
}

/** An id in DFØ's 8-digit form (`100042` → `00100042`), whichever way it was written. */
const canonical = (id: string) => (/^\d{1,8}$/.test(id) ? id.padStart(8, "0") : id)

/** The id a PUT's path ends with. */
const idOf = (path: string) => canonical(path.slice(path.lastIndexOf("/") + 1))

const sameBody = (body: unknown, epost: string) =>
  typeof body === "object" &&
  body !== null &&
  Object.keys(body).length === 1 &&
  (body as Record<string, unknown>)["epost"] === epost

/**
 * Each event's latency to its PUT. Only PUTs at or after an event's publication and before
 * `before` count for it, so another phase's writes to the same people are not this one's.
 */
export const matchPuts = (
  sent: ReadonlyArray<Sent>,
  arrivals: ReadonlyArray<Arrival>,
  before = Number.POSITIVE_INFINITY
): Matched => {
  const puts = new Map<string, Array<Arrival>>()
  for (const arrival of arrivals) {
    if (arrival.method !== "PUT" || arrival.time >= before) continue
    const id = idOf(arrival.path)
    const list = puts.get(id)
    if (list === undefined) puts.set(id, [arrival])
    else list.push(arrival)
  }
  const latencies: Array<number> = []
  let lastArrival = sent[0]?.at ?? 0
  let missing = 0
  let wrong = 0
  let duplicates = 0
  for (const event of sent) {
    const after = (puts.get(canonical(event.id)) ?? [])
      .filter((put) => put.time >= event.at)
      .sort((a, b) => a.time - b.time)
    const [first, ...rest] = after
    if (first === undefined) {
      missing += 1
      continue
    }
    latencies.push(first.time - event.at)
    lastArrival = Math.max(lastArrival, first.time)
    if (!sameBody(first.body, event.epost)) wrong += 1
    duplicates += rest.length
  }
  return { latencies, lastArrival, missing, wrong, duplicates }
}

/** The latency phase: how fast, and how many of the phase's people. */
export interface SteadyPlan {
  readonly ratePerSec: number
  readonly events: number
}

/** The latency phase lasts about this long at most, however slow the server. */
const steadySeconds = 10

/**
 * Half the rate the server just drained events at, and at most `maxRatePerSec`: at half its
 * capacity an event rarely waits behind another, so its time to DFØ is latency, not time
 * in the queue. As many events as fit in `steadySeconds`, at most `people`.
 */
export const steadyPlan = (
  drainedPerSec: number,
  maxRatePerSec: number,
  people: number
): SteadyPlan => {
  const ratePerSec = Math.max(1, Math.min(maxRatePerSec, Math.floor(drainedPerSec / 2)))
  return { ratePerSec, events: Math.min(people, ratePerSec * steadySeconds) }
}
