/**
 * Events for one person within the debounce window become one run, and one person's runs
 * never overlap in this process (CONTRACT §8). Every caller waits for the run that covers
 * its event: a message is acknowledged only once that run has an outcome.
 */
import { Deferred, Duration, Effect, FiberSet, type Scope, SynchronizedRef } from "effect"

interface Pending<V> {
  /** Callers waiting for the next run of this person. */
  readonly waiting: ReadonlyArray<Deferred.Deferred<V>>
}

export interface PersonGate<K, V> {
  /** Waits for a run of `key`'s person that starts after this call, and returns its verdict. */
  readonly submit: (id: string, key: K) => Effect.Effect<V>
}

/**
 * `run` is called at most once at a time per `id`, `debounce` after the first of a burst
 * of submissions; submissions that arrive while a run is under way wait for the next run,
 * which starts `debounce` after the current one ends. Runs live in the scope.
 */
export const make = <K, V>(
  debounce: Duration.DurationInput,
  run: (key: K) => Effect.Effect<V>
): Effect.Effect<PersonGate<K, V>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const fibers = yield* FiberSet.make()
    // A person is in the map from their first submission until a run leaves nobody waiting.
    const people = yield* SynchronizedRef.make(new Map<string, Pending<V>>())

    /** Takes everyone waiting for `id`, or ends the person's loop when nobody is. */
    const takeBatch = (id: string) =>
      SynchronizedRef.modify(people, (map) => {
        const waiting = map.get(id)?.waiting ?? []
        const next = new Map(map)
        if (waiting.length === 0) next.delete(id)
        else next.set(id, { waiting: [] })
        return [waiting, next] as const
      })

    // EVENTS_DEBOUNCE_MS=0 waits for nothing but the submissions of the same tick: a timer
    // of 0 ms is one of at least 1 ms in Node, on every event's way to its run.
    const window = Duration.decode(debounce)
    const settle = Duration.isZero(window) ? Effect.yieldNow() : Effect.sleep(window)

    const loop = (id: string, key: K): Effect.Effect<void> =>
      Effect.gen(function* () {
        for (;;) {
          yield* settle
          const batch = yield* takeBatch(id)
          if (batch.length === 0) return
          const verdict = yield* run(key)
          yield* Effect.forEach(batch, (waiter) => Deferred.succeed(waiter, verdict), {
            discard: true
          })
        }
      })

    const submit = (id: string, key: K): Effect.Effect<V> =>
      Effect.gen(function* () {
        const waiter = yield* Deferred.make<V>()
        const first = yield* SynchronizedRef.modify(people, (map) => {
          const current = map.get(id)
          const next = new Map(map)
          next.set(id, { waiting: [...(current?.waiting ?? []), waiter] })
          return [current === undefined, next] as const
        })
        if (first) yield* FiberSet.run(fibers, loop(id, key))
        return yield* Deferred.await(waiter)
      })

    return { submit }
  })
