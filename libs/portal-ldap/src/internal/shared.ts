import type { LdapConnectionError } from "@dfo-writeback/domain"
import { Effect, Exit, Scope } from "effect"
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
    // A plain variable, not a `Ref`: it is read on every search, and only `reconnect`
    // (under the lock) and the finalizer change it.
    let current: Held | undefined
    const lock = yield* Effect.makeSemaphore(1)
    const release = (held: Held | undefined) =>
      held === undefined ? Effect.void : Scope.close(held.scope, Exit.void)
    const take = () => {
      const held = current
      current = undefined
      return held
    }
    yield* Effect.addFinalizer(() => Effect.suspend(() => release(take())))

    const live = (): Connection | undefined =>
      current !== undefined && current.connection.alive() ? current.connection : undefined

    // Connecting is interruptible (its scope then drops the half-open socket); storing the
    // new connection is not, so an interrupted caller never leaks a bound one.
    const reconnect = lock.withPermits(1)(
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          // Another caller may have reconnected while this one waited for the lock.
          const existing = live()
          if (existing !== undefined) return existing
          yield* release(take())
          const scope = yield* Scope.make()
          const opened = yield* Effect.exit(restore(Scope.extend(connect(settings), scope)))
          if (Exit.isFailure(opened)) {
            yield* Scope.close(scope, opened)
            return yield* opened
          }
          current = { connection: opened.value, scope }
          return opened.value
        })
      )
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

    const attempt = <A>(
      connection: Connection,
      f: (client: Client) => Promise<A>,
      settled: ((seconds: number) => void) | undefined
    ) =>
      Effect.catchIf(
        search(connection, f, settled),
        // The server closed a connection we thought alive (restart, idle timeout): one
        // more try on a fresh connection.
        (error) => error.timeoutMs === undefined && !connection.alive(),
        () => Effect.flatMap(reconnect, (fresh) => search(fresh, f, settled))
      )

    // The common case takes no lock: the connection is there and alive.
    const use = <A>(f: (client: Client) => Promise<A>, settled?: (seconds: number) => void) =>
      Effect.suspend(() => {
        const connection = live()
        return connection === undefined
          ? Effect.flatMap(reconnect, (fresh) => attempt(fresh, f, settled))
          : attempt(connection, f, settled)
      })

    return { use }
  })
