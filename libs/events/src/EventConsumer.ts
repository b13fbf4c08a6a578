/**
 * The event consumer (CONTRACT §8): messages from the institution's queues become
 * single-user runs. Every message ends in exactly one way, logged and counted: `run`
 * (acknowledged once its run has an outcome), `ignored` (acknowledged, with the reason),
 * `requeued` (back to the queue after a backoff) or `dead_lettered` (rejected without
 * requeue, so the queue's dead-letter exchange keeps it). The queues are the institution's:
 * the consumer only checks that each exists (a passive declare) and never declares, binds,
 * purges or deletes anything.
 */
import {
  Context,
  Deferred,
  Duration,
  Effect,
  Layer,
  Metric,
  Option,
  Redacted,
  Ref,
  Runtime
} from "effect"
import type { Scope } from "effect"
import { type AsyncMessage, Connection, ConsumerStatus } from "rabbitmq-client"
import { type EventSource, readDfo, readScim, type Trigger } from "./EventMessage.js"
import { counted, type EventResult, lagOf } from "./EventMetrics.js"
import type { EventsOptions } from "./EventsConfig.js"
import * as PersonGate from "./internal/personGate.js"
import * as Pause from "./internal/pause.js"

/** What a run for one event came to, as the consumer needs to know it. */
export type Verdict =
  /** The run has an outcome (written, unchanged, skipped, not found, ambiguous…). */
  | { readonly _tag: "Done" }
  /**
   * This person's run failed (DFØ rejected their request or record): requeued, counted as an
   * attempt.
   */
  | { readonly _tag: "Failed"; readonly reason: string }
  /**
   * LDAP or DFØ is unreachable (transient answers after retries included), or DFØ refused
   * the key: every message would fail the same
   * way, so consumption pauses; the message is requeued without counting as an attempt.
   */
  | { readonly _tag: "Outage"; readonly reason: string }

/** Runs one event's single-user run (caller `events:<source>`) and says how it went. */
export type RunEvent = (trigger: Trigger) => Effect.Effect<Verdict>

export interface Status {
  /** Every configured queue is consumed and consumption is not paused. */
  readonly serving: boolean
  /** Why not, when not serving. */
  readonly reason: string
}

export interface Service {
  readonly status: Effect.Effect<Status>
}

export class EventConsumer extends Context.Tag("@dfo-writeback/events/EventConsumer")<
  EventConsumer,
  Service
>() {}

/** The header that carries how often a message failed, on a message we requeued. */
export const attemptsHeader = "x-writeback-attempts"

/** Failures so far: ours, or a quorum queue's delivery count. */
const attemptsOf = (message: AsyncMessage): number => {
  const headers = message.headers ?? {}
  const ours = Number(headers[attemptsHeader])
  const quorum = Number(headers["x-delivery-count"])
  return Math.max(Number.isFinite(ours) ? ours : 0, Number.isFinite(quorum) ? quorum : 0)
}

/**
 * A requeued copy's headers: the attempts so far in ours, without the quorum queue's
 * delivery count of the original (which `attempts` already includes).
 */
const copyHeaders = (message: AsyncMessage, attempts: number) => {
  const { "x-delivery-count": _counted, ...headers } = message.headers ?? {}
  return { ...headers, [attemptsHeader]: attempts }
}

/** 1 s, 2 s, 4 s … at most 30 s before a failed message goes back to the queue. */
const requeueDelay = (attempts: number) =>
  Duration.millis(Math.min(1000 * 2 ** Math.max(0, attempts - 1), 30_000))

/** A broker error without the URL's credentials, whatever the client put in it. */
const describe = (error: unknown, url: string): string => {
  const text = error instanceof Error ? error.message : String(error)
  const password = URL.canParse(url) ? new URL(url).password : ""
  return (password === "" ? text : text.split(password).join("<redacted>")).slice(0, 300)
}

const worst = (verdicts: ReadonlyArray<Verdict>): Verdict =>
  verdicts.find((v) => v._tag === "Outage") ??
  verdicts.find((v) => v._tag === "Failed") ?? { _tag: "Done" }

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
    const gate = yield* PersonGate.make(Duration.millis(options.debounceMs), runEvent)
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

    const connection = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const made = new Connection({
          url,
          connectionName: "dfo-writeback",
          // A broker restart takes seconds; trying every 5 s at most costs it nothing.
          retryLow: 500,
          retryHigh: 5000,
          ...(options.ca === undefined ? {} : { tls: { ca: options.ca } })
        })
        made.on("error", (error) =>
          Runtime.runFork(runtime)(
            Effect.logWarning("event broker connection failed; reconnecting").pipe(
              Effect.annotateLogs({ error: describe(error, url) })
            )
          )
        )
        return made
      }),
      (made) => Effect.promise(() => made.close())
    )
    const publisher = yield* Effect.acquireRelease(
      Effect.sync(() => connection.createPublisher({ confirm: true })),
      (made) => Effect.promise(() => made.close())
    )

    const end = (
      source: EventSource,
      result: EventResult,
      eventTime: Date,
      status: ConsumerStatus
    ) =>
      Effect.gen(function* () {
        yield* Metric.increment(counted(source, result))
        yield* Metric.update(lagOf(source), (Date.now() - eventTime.getTime()) / 1000)
        return status
      })

    /**
     * Puts a copy of `message` carrying `attempts` back on `queue`: the original is
     * acknowledged only once the broker confirmed the copy, so a failure here requeues the
     * original instead. A copy, not a requeue: a quorum queue counts every requeue in
     * `x-delivery-count` (RabbitMQ 4 dead-letters at its delivery limit, 20 by default).
     */
    const requeueCopy = (queue: string, message: AsyncMessage, attempts: number) =>
      Effect.tryPromise(() =>
        publisher.send(
          {
            routingKey: queue,
            durable: true,
            ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
            headers: copyHeaders(message, attempts)
          },
          message.body
        )
      ).pipe(
        Effect.isSuccess,
        Effect.map((copied) => (copied ? ConsumerStatus.ACK : ConsumerStatus.REQUEUE))
      )

    const settle = (
      source: EventSource,
      queue: string,
      message: AsyncMessage,
      triggers: ReadonlyArray<Trigger>
    ) =>
      Effect.gen(function* () {
        const eventTime = triggers[0]?.eventTime ?? new Date()
        const people = triggers.map((t) => `${t.keyField} ${t.keyValue}`).join(", ")
        const log = (level: "info" | "warn" | "error", text: string, reason?: string) =>
          (level === "info"
            ? Effect.logInfo(text)
            : level === "warn"
              ? Effect.logWarning(text)
              : Effect.logError(text)
          ).pipe(
            Effect.annotateLogs({
              source,
              queue,
              people,
              ...(reason === undefined ? {} : { reason })
            })
          )
        const started = yield* Effect.raceFirst(
          Effect.as(pause.await, true),
          Effect.as(Deferred.await(stopping), false)
        )
        if (!started) {
          yield* log("info", "event requeued: the server is stopping")
          return yield* end(source, "requeued", eventTime, ConsumerStatus.REQUEUE)
        }
        const verdict = worst(
          yield* Effect.forEach(
            triggers,
            (trigger) => gate.submit(`${trigger.keyField}:${trigger.keyValue}`, trigger),
            { concurrency: "unbounded" }
          )
        )
        switch (verdict._tag) {
          case "Done": {
            yield* pause.resume
            yield* log("info", "event run")
            return yield* end(source, "run", eventTime, ConsumerStatus.ACK)
          }
          case "Outage": {
            yield* pause.pause(verdict.reason)
            yield* log("warn", "event requeued; consumption paused", verdict.reason)
            // An outage spends no attempt, on any kind of queue.
            const status = yield* requeueCopy(queue, message, attemptsOf(message))
            return yield* end(source, "requeued", eventTime, status)
          }
          case "Failed": {
            // LDAP and DFØ answered (this person's record failed): a probe's answer too.
            yield* pause.resume
            const attempts = attemptsOf(message) + 1
            if (attempts >= options.maxAttempts) {
              yield* log(
                "error",
                `event dead-lettered after ${attempts} failed runs`,
                verdict.reason
              )
              return yield* end(source, "dead_lettered", eventTime, ConsumerStatus.DROP)
            }
            yield* Effect.raceFirst(Effect.sleep(requeueDelay(attempts)), Deferred.await(stopping))
            const status = yield* requeueCopy(queue, message, attempts)
            yield* log("warn", `event requeued after failed run ${attempts}`, verdict.reason)
            return yield* end(source, "requeued", eventTime, status)
          }
        }
      })

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
      }).pipe(Effect.withSpan("EventConsumer.message", { attributes: { source, queue } }))

    for (const { source, queue } of queues) {
      yield* Effect.acquireRelease(
        Effect.sync(() => {
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
            const reason = describe(error, url)
            setHealth(queue, reason)
            Runtime.runFork(runtime)(
              Effect.logError("event queue cannot be consumed; trying again").pipe(
                Effect.annotateLogs({ source, queue, error: reason })
              )
            )
          })
          return consumer
        }),
        // Stops taking messages and waits for the runs in flight, which acknowledge theirs.
        (consumer) => Effect.promise(() => consumer.close())
      )
    }

    // Runs before the consumers' own finalizers (the last acquired is released first).
    yield* Effect.addFinalizer(() => Deferred.succeed(stopping, undefined))

    return {
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
