import { Effect, Queue, type Scope } from "effect"
import * as ParentWatch from "./ParentWatch.js"

export type Signal = "SIGINT" | "SIGTERM"

/**
 * SIGINT and SIGTERM as they arrive, for the length of the scope: while it is open they
 * no longer end the process, and once it closes the listeners are gone. Run by npm, the
 * parent going away stands for the SIGTERM npm does not pass on (ParentWatch), unless a
 * signal came first: a Ctrl-C ends node's shell too, and that is no second signal.
 */
export const received: Effect.Effect<Queue.Dequeue<Signal>, never, Scope.Scope> = Effect.gen(
  function* () {
    const queue = yield* Queue.unbounded<Signal>()
    const heard = { any: false }
    const on = (name: Signal) => () => {
      heard.any = true
      Queue.unsafeOffer(queue, name)
    }
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
    yield* Effect.acquireRelease(
      Effect.sync(() =>
        ParentWatch.whenOrphaned(process.env, () => {
          if (!heard.any) Queue.unsafeOffer(queue, "SIGTERM")
        })
      ),
      (unwatch) => Effect.sync(unwatch)
    )
    return queue
  }
)
