/**
 * Health service `dfo.writeback.v1.Events` (CONTRACT §8), registered only when events are
 * on: `SERVING` while the consumer says every configured queue is consumed and consumption
 * is not paused, `NOT_SERVING` otherwise, with the reason in the log when it changes.
 */
import type { HealthService } from "@dfo-writeback/contract"
import type { EventConsumer } from "@dfo-writeback/events"
import { Duration, Effect, type Scope } from "effect"

export const service = "dfo.writeback.v1.Events"

/** The consumer's status is in memory: reading it every second costs nothing. */
const interval = Duration.seconds(1)

/** Follows `consumer.status` into `health` for as long as the scope lives. */
export const make = (
  health: HealthService.HealthService,
  consumer: EventConsumer.Service
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    const check = Effect.gen(function* () {
      const status = yield* consumer.status
      const next = status.serving ? "SERVING" : "NOT_SERVING"
      const before = health.getStatus(service)
      health.setStatus(service, next)
      // While draining the registry keeps NOT_SERVING whatever the consumer says.
      if (health.getStatus(service) === before) return
      yield* (
        status.serving
          ? Effect.logInfo("health: SERVING")
          : Effect.logWarning("health: NOT_SERVING").pipe(
              Effect.annotateLogs("reason", status.reason)
            )
      ).pipe(Effect.annotateLogs("service", service))
    })
    yield* check
    yield* check.pipe(Effect.delay(interval), Effect.forever, Effect.forkScoped)
  })
