/**
 * What the consumer reads off a delivered message and how a message's ending is counted:
 * attempts so far, the headers of a requeued copy, the backoff before it, and the series
 * every ending updates.
 */
import { Duration, Effect, Metric } from "effect"
import type { AsyncMessage, ConsumerStatus } from "rabbitmq-client"
import type { EventSource } from "../EventMessage.js"
import { counted, type EventResult, lagOf } from "../EventMetrics.js"

/** The header that carries how often a message failed, on a message we requeued. */
export const attemptsHeader = "x-writeback-attempts"

/** Failures so far: ours, or a quorum queue's delivery count. */
export const attemptsOf = (message: AsyncMessage): number => {
  const headers = message.headers ?? {}
  const ours = Number(headers[attemptsHeader])
  const quorum = Number(headers["x-delivery-count"])
  return Math.max(Number.isFinite(ours) ? ours : 0, Number.isFinite(quorum) ? quorum : 0)
}

/**
 * A requeued copy's headers: the attempts so far in ours, without the quorum queue's
 * delivery count of the original (which `attempts` already includes).
 */
export const copyHeaders = (message: AsyncMessage, attempts: number) => {
  const { "x-delivery-count": _counted, ...headers } = message.headers ?? {}
  return { ...headers, [attemptsHeader]: attempts }
}

/** 1 s, 2 s, 4 s … at most 30 s before a failed message goes back to the queue. */
export const requeueDelay = (attempts: number) =>
  Duration.millis(Math.min(1000 * 2 ** Math.max(0, attempts - 1), 30_000))

/** Counts how a message ended and its lag since the event, then answers the broker. */
export const end = (
  source: EventSource,
  result: EventResult,
  eventTime: Date,
  status: ConsumerStatus
): Effect.Effect<ConsumerStatus> =>
  Effect.gen(function* () {
    yield* Metric.increment(counted(source, result))
    yield* Metric.update(lagOf(source), (Date.now() - eventTime.getTime()) / 1000)
    return status
  })
