/**
 * How a message with people to run ends (CONTRACT §8): it waits while consumption is
 * paused, runs each person through the gate, and turns the worst verdict into the
 * broker's answer. Done: acknowledged. Outage: consumption pauses and a copy goes back
 * without spending an attempt. Failed: a copy with one more attempt goes back after a
 * backoff, or the message is dead-lettered after `EVENTS_MAX_ATTEMPTS`. Once the consumer
 * is stopping, a message not yet started goes straight back.
 */
import { Deferred, Effect } from "effect"
import { type AsyncMessage, ConsumerStatus } from "rabbitmq-client"
import type { EventSource, Trigger } from "../EventMessage.js"
import type { EventsOptions } from "../EventsConfig.js"
import { type Verdict, worst } from "../Verdict.js"
import type { Broker } from "./broker.js"
import { attemptsOf, end, requeueDelay } from "./delivery.js"
import type * as Pause from "./pause.js"
import type * as PersonGate from "./personGate.js"

export interface Settling {
  readonly options: Pick<EventsOptions, "maxAttempts">
  readonly pause: Pause.Pause
  readonly gate: PersonGate.PersonGate<Trigger, Verdict>
  /** Done once the consumer is stopping. */
  readonly stopping: Deferred.Deferred<void>
  readonly broker: Broker
}

export const make = ({ options, pause, gate, stopping, broker }: Settling) => {
  const requeueCopy = broker.requeueCopy
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
      // Most messages find consumption running: they go on without racing two fibers.
      const started =
        !(yield* Deferred.isDone(stopping)) &&
        ((yield* pause.passes) ||
          (yield* Effect.raceFirst(
            Effect.as(pause.await, true),
            Effect.as(Deferred.await(stopping), false)
          )))
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
            yield* log("error", `event dead-lettered after ${attempts} failed runs`, verdict.reason)
            return yield* end(source, "dead_lettered", eventTime, ConsumerStatus.DROP)
          }
          yield* Effect.raceFirst(Effect.sleep(requeueDelay(attempts)), Deferred.await(stopping))
          const status = yield* requeueCopy(queue, message, attempts)
          yield* log("warn", `event requeued after failed run ${attempts}`, verdict.reason)
          return yield* end(source, "requeued", eventTime, status)
        }
      }
    })
  return settle
}
