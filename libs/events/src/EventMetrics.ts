import { Effect, Metric, MetricBoundaries } from "effect"
import type { EventSource } from "./EventMessage.js"

/**
 * What the event consumer measures (CONTRACT §8), process-wide like the clients' metrics.
 * Labels come from fixed sets (source, result), never from a message.
 */

/** How each message ended. */
export type EventResult = "run" | "ignored" | "requeued" | "dead_lettered"

/** Exported as `dfo_writeback_events_total{source,result}`. */
export const events = Metric.counter("dfo_writeback_events", {
  description: "Messages from the broker by source and how each ended",
  incremental: true
})

/** From 10 ms to about 3 h: a debounced run takes seconds; a paused consumer, hours. */
export const lag = Metric.histogram(
  "dfo_writeback_event_lag_seconds",
  MetricBoundaries.exponential({ start: 0.01, factor: 2.5, count: 14 }),
  "Time from an event (its own time, or its arrival) to its outcome, by source"
)

const tagged = new Map<string, Metric.Metric.Counter<number>>()

/** One counter per source and result, made once. */
export const counted = (
  source: EventSource,
  result: EventResult
): Metric.Metric.Counter<number> => {
  const key = `${source}/${result}`
  let counter = tagged.get(key)
  if (counter === undefined) {
    counter = events.pipe(Metric.tagged("source", source), Metric.tagged("result", result))
    tagged.set(key, counter)
  }
  return counter
}

export const lagOf = (source: EventSource) => Metric.tagged(lag, "source", source)

/** Every source and result. */
const sources: ReadonlyArray<EventSource> = ["scim", "dfo"]
const results: ReadonlyArray<EventResult> = ["run", "ignored", "requeued", "dead_lettered"]

/**
 * Every `events_total` series at 0, run once when events are on: an alert's `increase()`
 * sees the first dead letter of a process as a rise from 0 (as `RunMetrics.zeros`).
 */
export const zeros: Effect.Effect<void> = Effect.sync(() => {
  for (const source of sources) {
    for (const result of results) counted(source, result).unsafeUpdate(0, [])
  }
})
