import { Effect, Exit, Queue, Stream, Take } from "effect"

/**
 * `f` over `items`, at most `concurrency` at a time, each value streamed as it ends. In place
 * of `Stream.mapEffect(f, { concurrency, unordered: true })`, which cost 503 Effect
 * operations an item against 7 here (counted with an op supervisor, issue #21): the apply
 * stage pays it once per written user. The workers take the next item only once the
 * consumer has room for their value (a queue of `concurrency`), so a slow consumer slows
 * them as before. A failure of `f` ends the stream with it and interrupts the others;
 * ending the stream interrupts every worker.
 */
export const unordered = <A, B, E>(
  items: Iterable<A>,
  concurrency: number,
  f: (item: A) => Effect.Effect<B, E>
): Stream.Stream<B, E> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const done = yield* Queue.bounded<Take.Take<B, E>>(concurrency)
      const next = items[Symbol.iterator]()
      const worker: Effect.Effect<void, E> = Effect.suspend(() => {
        const item = next.next()
        return item.done === true
          ? Effect.void
          : Effect.flatMap(f(item.value), (value) =>
              Effect.zipRight(Queue.offer(done, Take.of(value)), worker)
            )
      })
      yield* Effect.all(
        Array.from({ length: Math.max(1, concurrency) }, () => worker),
        { concurrency: "unbounded", discard: true }
      ).pipe(
        Effect.exit,
        Effect.flatMap((exit) =>
          Queue.offer(done, Exit.isSuccess(exit) ? Take.end : Take.failCause(exit.cause))
        ),
        Effect.forkScoped
      )
      return Stream.flattenTake(Stream.fromQueue(done))
    })
  )
