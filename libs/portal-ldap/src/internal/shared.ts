import type { LdapConnectionError } from "@dfo-writeback/domain"
import { Effect, Exit, Option, Ref, Scope } from "effect"
import type { Client } from "ldapts"
import { connect, type Connection, operation, type Settings } from "./connection.js"

/** One bound connection kept for the layer's lifetime and replaced when it drops. */
export interface Shared {
  /**
   * Runs one search on the connection, reconnecting first when it dropped; `settled` hears
   * each attempt's duration. A search that times out closes the connection.
   */
  readonly use: <A>(
    f: (client: Client) => Promise<A>,
    settled?: (seconds: number) => void
  ) => Effect.Effect<A, LdapConnectionError>
}

/** A connection and the scope that closes it. */
interface Held {
  readonly connection: Connection
  readonly scope: Scope.CloseableScope
}

export const makeShared = (settings: Settings): Effect.Effect<Shared, never, Scope.Scope> =>
  Effect.gen(function* () {
    const current = yield* Ref.make(Option.none<Held>())
    const lock = yield* Effect.makeSemaphore(1)
    const release = (held: Option.Option<Held>) =>
      Option.match(held, {
        onNone: () => Effect.void,
        onSome: ({ scope }) => Scope.close(scope, Exit.void)
      })
    yield* Effect.addFinalizer(() => Effect.flatMap(Ref.getAndSet(current, Option.none()), release))

    const live = Effect.map(Ref.get(current), (held) =>
      Option.filter(held, ({ connection }) => connection.alive())
    )

    // Connecting is interruptible (its scope then drops the half-open socket); storing the
    // new connection is not, so an interrupted caller never leaks a bound one.
    const reconnect = lock.withPermits(1)(
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          // Another caller may have reconnected while this one waited for the lock.
          const existing = yield* live
          if (Option.isSome(existing)) return existing.value.connection
          yield* release(yield* Ref.getAndSet(current, Option.none()))
          const scope = yield* Scope.make()
          const opened = yield* Effect.exit(restore(Scope.extend(connect(settings), scope)))
          if (Exit.isFailure(opened)) {
            yield* Scope.close(scope, opened)
            return yield* opened
          }
          yield* Ref.set(current, Option.some({ connection: opened.value, scope }))
          return opened.value
        })
      )
    )

    // The common case takes no lock: the connection is there and alive.
    const acquire = Effect.flatMap(
      live,
      Option.match({
        onNone: () => reconnect,
        onSome: ({ connection }) => Effect.succeed(connection)
      })
    )

    const search = <A>(
      connection: Connection,
      f: (client: Client) => Promise<A>,
      settled: ((seconds: number) => void) | undefined
    ) =>
      operation(settings, "search", "search", settings.timeoutMs, () => f(connection.client), {
        ...(settled === undefined ? {} : { settled }),
        // A server that let one search time out is not trusted with the next: the next
        // lookup reconnects, and a late answer has no socket to arrive on. Not retried:
        // it already waited long enough.
        onTimeout: connection.destroy
      })

    const use = <A>(f: (client: Client) => Promise<A>, settled?: (seconds: number) => void) =>
      Effect.flatMap(acquire, (connection) =>
        Effect.catchIf(
          search(connection, f, settled),
          // The server closed a connection we thought alive (restart, idle timeout): one
          // more try on a fresh connection.
          (error) => error.timeoutMs === undefined && !connection.alive(),
          () => Effect.flatMap(acquire, (fresh) => search(fresh, f, settled))
        )
      )

    return { use }
  })
