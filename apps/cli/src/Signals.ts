import { Effect, Queue, type Scope } from "effect"

export type Signal = "SIGINT" | "SIGTERM"

/**
 * SIGINT and SIGTERM as they arrive, for the length of the scope: while it is open they
 * no longer end the process, and once it closes the listeners are gone.
 */
export const received: Effect.Effect<Queue.Dequeue<Signal>, never, Scope.Scope> = Effect.gen(
  function* () {
    const queue = yield* Queue.unbounded<Signal>()
    const on = (name: Signal) => () => void Queue.unsafeOffer(queue, name)
    const handlers = { SIGINT: on("SIGINT"), SIGTERM: on("SIGTERM") }
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        process.on("SIGINT", handlers.SIGINT)
        process.on("SIGTERM", handlers.SIGTERM)
      }),
      () =>
        Effect.sync(() => {
          process.removeListener("SIGINT", handlers.SIGINT)
          process.removeListener("SIGTERM", handlers.SIGTERM)
        })
    )
    return queue
  }
)
