import type { LdapConnectionError } from "@dfo-writeback/domain"
import { Effect, Either, Ref, type Scope } from "effect"
import type { Client } from "ldapts"
import { close, connect, type Connection, failure, type Settings } from "./connection.js"

/** One bound connection kept for the layer's lifetime and replaced when it drops. */
export interface Shared {
  readonly use: <A>(f: (client: Client) => Promise<A>) => Effect.Effect<A, LdapConnectionError>
}

const timedOut = (error: unknown) => error instanceof Error && /timed out/i.test(error.message)

export const makeShared = (settings: Settings): Effect.Effect<Shared, never, Scope.Scope> =>
  Effect.gen(function* () {
    const current = yield* Ref.make<Connection | undefined>(undefined)
    const lock = yield* Effect.makeSemaphore(1)
    yield* Effect.addFinalizer(() =>
      Ref.get(current).pipe(Effect.flatMap((c) => (c === undefined ? Effect.void : close(c))))
    )

    // Connecting is interruptible (the half-open socket is dropped); storing the new
    // connection is not, so an interrupted caller never leaks a bound one.
    const acquire = lock.withPermits(1)(
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          const existing = yield* Ref.get(current)
          if (existing?.alive()) return existing
          existing?.destroy()
          yield* Ref.set(current, undefined)
          const fresh = yield* restore(connect(settings))
          yield* Ref.set(current, fresh)
          return fresh
        })
      )
    )

    const attempt = <A>(connection: Connection, f: (client: Client) => Promise<A>) =>
      Effect.tryPromise({ try: () => f(connection.client), catch: (error) => error })

    const use = <A>(f: (client: Client) => Promise<A>) =>
      Effect.gen(function* () {
        const connection = yield* acquire
        const first = yield* Effect.either(attempt(connection, f))
        if (Either.isRight(first)) return first.right
        // The server closed a connection we thought alive (restart, idle timeout): one more
        // try on a fresh connection. A timeout is not retried: it already waited long enough.
        if (connection.alive() || timedOut(first.left)) {
          return yield* Effect.fail(failure(settings, "search", first.left))
        }
        const fresh = yield* acquire
        return yield* attempt(fresh, f).pipe(
          Effect.mapError((error) => failure(settings, "search", error))
        )
      })

    return { use }
  })
