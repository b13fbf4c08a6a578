/**
 * The event consumer (CONTRACT §8): messages from the institution's queues become
 * single-user runs. Every message ends in exactly one way, logged and counted: `run`
 * (acknowledged once its run has an outcome), `ignored` (acknowledged, with the reason),
 * `requeued` (back to the queue after a backoff) or `dead_lettered` (rejected without
 * requeue, so the queue's dead-letter exchange keeps it). The queues are the institution's:
 * the consumer only checks that each exists (a passive declare) and never declares, binds,
 * purges or deletes anything.
 */
import { Context, Deferred, Duration, Effect, Layer, Option, Redacted, Ref, Runtime } from "effect"
import type { Scope } from "effect"
import { type AsyncMessage, ConsumerStatus } from "rabbitmq-client"
import { type EventSource, readDfo, readScim, type Trigger } from "./EventMessage.js"
import type { EventsOptions } from "./EventsConfig.js"
import * as Broker from "./internal/broker.js"
import { end } from "./internal/delivery.js"
import * as PersonGate from "./internal/personGate.js"
import * as Pause from "./internal/pause.js"
import * as Settle from "./internal/settle.js"
import type { RunEvent, Verdict } from "./Verdict.js"

export type { RunEvent, Verdict } from "./Verdict.js"
export { attemptsHeader } from "./internal/delivery.js"

export interface Status {
  /** Every configured queue is consumed and consumption is not paused. */
  readonly serving: boolean
  /** Why not, when not serving. */
  readonly reason: string
}

export interface Service {
  readonly status: Effect.Effect<Status>
  /**
   * Stops taking messages and waits for the runs in flight, which acknowledge theirs
   * (CONTRACT §8: the first thing a SIGTERM does); once, however often it is asked.
   */
  readonly stop: Effect.Effect<void>
}

export class EventConsumer extends Context.Tag("@dfo-writeback/events/EventConsumer")<
  EventConsumer,
  Service
>() {}

/** Starts consuming every configured queue for the length of the scope. */
export const make = (
  options: EventsOptions,
  runEvent: RunEvent
): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function* () {
    const url = Redacted.value(options.url)
    const runtime = yield* Effect.runtime<never>()
    const pause = yield* Pause.make()
    // Done as the scope closes, before the consumers stop (SIGTERM): a message whose run has
    // not started goes back to the queue at once instead of waiting out a pause or a backoff.
    const stopping = yield* Deferred.make<void>()
    const gate = yield* PersonGate.make<Trigger, Verdict>(
      Duration.millis(options.debounceMs),
      runEvent
    )
    const broker = yield* Broker.open(url, options.ca)
    const connection = broker.connection
    const settle = Settle.make({ options, pause, gate, stopping, broker })
    const queues = [
      ...(options.scimQueue === undefined
        ? []
        : [{ source: "scim" as const, queue: options.scimQueue }]),
      ...(options.dfoQueue === undefined
        ? []
        : [{ source: "dfo" as const, queue: options.dfoQueue }])
    ]
    const health = yield* Ref.make(
      new Map(
        queues.map(({ queue }) => [queue, "not consumed yet"] as [string, string | undefined])
      )
    )
    const setHealth = (queue: string, problem: string | undefined) =>
      Runtime.runSync(runtime)(Ref.update(health, (map) => new Map(map).set(queue, problem)))

    const handle = (source: EventSource, queue: string, message: AsyncMessage) =>
      Effect.gen(function* () {
        const arrival = new Date()
        const reading =
          source === "scim"
            ? readScim(message.body, options.scimAttributes, arrival)
            : readDfo(message.body, arrival)
        switch (reading._tag) {
          case "Ignore":
            yield* Effect.logInfo("event ignored").pipe(
              Effect.annotateLogs({ source, queue, reason: reading.reason })
            )
            return yield* end(source, "ignored", arrival, ConsumerStatus.ACK)
          case "DeadLetter":
            yield* Effect.logError("event dead-lettered: it cannot be read").pipe(
              Effect.annotateLogs({ source, queue, reason: reading.reason })
            )
            return yield* end(source, "dead_lettered", arrival, ConsumerStatus.DROP)
          case "Run":
            return yield* settle(source, queue, message, reading.triggers)
        }
      }).pipe(
        Effect.withSpan("EventConsumer.message", {
          // One call site, thousands of messages a second: a stack trace would only cost.
          captureStackTrace: false,
          attributes: { source, queue }
        })
      )

    const consumers = yield* Effect.sync(() =>
      queues.map(({ source, queue }) => {
        const consumer = connection.createConsumer(
          {
            queue,
            // Passive: checks the queue exists, never creates it.
            queueOptions: { passive: true },
            qos: { prefetchCount: options.prefetch },
            concurrency: options.prefetch,
            requeue: true
          },
          (message) => Runtime.runPromise(runtime)(handle(source, queue, message))
        )
        consumer.on("ready", () => setHealth(queue, undefined))
        consumer.on("error", (error) => {
          const reason = Broker.describe(error, url)
          setHealth(queue, reason)
          Runtime.runFork(runtime)(
            Effect.logError("event queue cannot be consumed; trying again").pipe(
              Effect.annotateLogs({ source, queue, error: reason })
            )
          )
        })
        return consumer
      })
    )

    // Messages waiting out a pause or a backoff go back at once; the consumers stop taking
    // messages and wait for the runs in flight, which acknowledge theirs.
    const stop = yield* Effect.cached(
      Effect.zipRight(
        Deferred.succeed(stopping, undefined),
        Effect.promise(() => Promise.all(consumers.map((consumer) => consumer.close())))
      )
    )
    // Released first (the last finalizer added), before the publisher and the connection.
    yield* Effect.addFinalizer(() => stop)

    return {
      stop,
      status: Effect.gen(function* () {
        const problems = [...(yield* Ref.get(health)).entries()].flatMap(([queue, problem]) =>
          problem === undefined ? [] : [`queue ${queue}: ${problem}`]
        )
        const paused = yield* pause.reason
        if (Option.isSome(paused)) problems.push(`paused: ${paused.value}`)
        return problems.length === 0
          ? { serving: true, reason: "" }
          : { serving: false, reason: problems.join("; ") }
      })
    }
  })

/** The consumer for the length of the layer. */
export const layer = (options: EventsOptions, runEvent: RunEvent): Layer.Layer<EventConsumer> =>
  Layer.scoped(EventConsumer, make(options, runEvent))
