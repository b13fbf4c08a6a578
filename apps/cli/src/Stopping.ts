import { Deferred, Duration, Effect, Queue, type Scope } from "effect"
import type * as Output from "./Output.js"
import * as Signals from "./Signals.js"

/** How a job is being stopped: the first signal, and the moment writes in flight are cut. */
export interface Stopping {
  /** The first SIGINT or SIGTERM: no new users are started. */
  readonly first: Deferred.Deferred<Signals.Signal>
  /** A second signal, or `grace` after the first: writes in flight are cut. */
  readonly cut: Deferred.Deferred<void>
}

/**
 * Listens to signals for the scope. The first one is announced with what a second one
 * does; writes in flight then get `grace` (`SAP_TIMEOUT_MS` and a margin) to finish.
 */
export const listen = (
  output: Output.Output,
  grace: Duration.Duration
): Effect.Effect<Stopping, never, Scope.Scope> =>
  Effect.gen(function* () {
    const signals = yield* Signals.received
    const first = yield* Deferred.make<Signals.Signal>()
    const cut = yield* Deferred.make<void>()
    yield* Effect.forkScoped(
      Effect.gen(function* () {
        const signal = yield* Queue.take(signals)
        yield* Deferred.succeed(first, signal)
        output.error(
          `writeback: ${signal}: no new users are started; writes in flight may take up to ` +
            `${Math.ceil(Duration.toSeconds(grace))} s to finish; a second ${signal} cuts ` +
            "them, and their outcome is then unknown"
        )
        yield* Effect.race(Queue.take(signals), Effect.sleep(grace))
        yield* Deferred.succeed(cut, undefined)
      })
    )
    return { first, cut }
  })

/** The first signal, if one came. */
export const signalled = (stopping: Stopping): Effect.Effect<Signals.Signal | undefined> =>
  Effect.flatMap(Deferred.poll(stopping.first), (polled) =>
    polled._tag === "None" ? Effect.succeed(undefined) : polled.value
  )
