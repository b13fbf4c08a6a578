import { isIP, type Socket, connect as tcpConnect } from "node:net"
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls"
import { LdapConnectionError, type LdapStep } from "@dfo-writeback/domain"
import { Duration, Effect, Exit, Redacted, type Scope } from "effect"
import { Client, ResultCodeError } from "ldapts"

/** Everything needed to open a bound connection; validated once by the layer. */
export interface Settings {
  readonly url: string
  readonly host: string
  readonly port: number
  readonly ldaps: boolean
  readonly startTls: boolean
  readonly ca: Buffer | undefined
  readonly bindDn: string
  readonly bindPassword: Redacted.Redacted<string>
  readonly connectTimeoutMs: number
  readonly timeoutMs: number
}

/** A bound ldapts client over a socket we opened and therefore can watch and close. */
export interface Connection {
  readonly client: Client
  /** False once the socket closed (server gone, idle timeout, a step that timed out). */
  readonly alive: () => boolean
  /** Closes the socket now: pending operations fail, the server ends their searches. */
  readonly destroy: () => void
}

/** A failure's description, without anything secret (the password is scrubbed). */
export const describe = (error: unknown, password?: Redacted.Redacted<string>): string => {
  const text =
    error instanceof ResultCodeError
      ? `${error.name} (result code ${error.code}): ${error.message}`
      : error instanceof Error
        ? `${"code" in error && typeof error.code === "string" ? `${error.code}: ` : ""}${error.message}`
        : String(error)
  const secret = password === undefined ? "" : Redacted.value(password)
  return (secret === "" ? text : text.replaceAll(secret, "<redacted>")).replace(/\s+/g, " ")
}

export const failure = (settings: Settings, step: LdapStep, error: unknown) =>
  new LdapConnectionError({
    step,
    url: settings.url,
    reason: describe(error, settings.bindPassword)
  })

const timedOut = (settings: Settings, name: LdapStep, what: string, ms: number) =>
  new LdapConnectionError({
    step: name,
    url: settings.url,
    reason: `${what} timed out after ${ms} ms`,
    timeoutMs: ms
  })

/**
 * One step of the lifecycle: its failure names the step, and so does its time limit, as an
 * `LdapConnectionError` carrying `timeoutMs`. Running out of time interrupts the step; the
 * caller's scope then closes the socket, which is what stops the work on both ends.
 */
export const step = <A>(
  settings: Settings,
  name: LdapStep,
  what: string,
  ms: number,
  effect: Effect.Effect<A, unknown>
): Effect.Effect<A, LdapConnectionError> =>
  effect.pipe(
    Effect.mapError((error) => failure(settings, name, error)),
    // Kept for the socket and TLS steps, once per connection: its fiber costs ~40 µs of CPU
    // (44 µs against one timer's 8, measured) beside the milliseconds a connect takes.
    Effect.timeoutFail({
      duration: Duration.millis(ms),
      onTimeout: () => timedOut(settings, name, what, ms)
    })
  )

/**
 * An ldapts operation as a step, with one timer and no fiber of its own: a search runs
 * per lookup and per page. `settled` hears how long it took, whatever the outcome
 * (interruption included); `onTimeout` runs when the time limit ends it.
 */
export const operation = <A>(
  settings: Settings,
  name: LdapStep,
  what: string,
  ms: number,
  run: () => Promise<A>,
  hooks: {
    readonly settled?: (seconds: number) => void
    readonly onTimeout?: () => void
  } = {}
): Effect.Effect<A, LdapConnectionError> =>
  Effect.async<A, LdapConnectionError>((resume) => {
    const started = performance.now()
    let open = true
    const settle = () => {
      open = false
      clearTimeout(timer)
      hooks.settled?.((performance.now() - started) / 1000)
    }
    const timer = setTimeout(() => {
      if (!open) return
      settle()
      hooks.onTimeout?.()
      resume(Effect.fail(timedOut(settings, name, what, ms)))
    }, ms)
    const fail = (error: unknown) => {
      if (!open) return
      settle()
      resume(Effect.fail(failure(settings, name, error)))
    }
    try {
      run().then((value) => {
        if (!open) return
        settle()
        resume(Effect.succeed(value))
      }, fail)
    } catch (error) {
      fail(error)
    }
    return Effect.sync(() => {
      if (open) settle()
    })
  })

/** Waits for `event`, or fails with the socket's first error. */
const ready = (socket: Socket, event: "connect" | "secureConnect") =>
  Effect.async<void, unknown>((resume) => {
    const onReady = () => {
      socket.off("error", onError)
      resume(Effect.void)
    }
    const onError = (error: unknown) => {
      socket.off(event, onReady)
      resume(Effect.fail(error))
    }
    socket.once(event, onReady).once("error", onError)
    return Effect.sync(() => socket.off(event, onReady).off("error", onError))
  })

/** A socket that the scope destroys, whatever happens to the steps that use it. */
const owned = <S extends Socket>(open: () => S): Effect.Effect<S, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.sync(open), (socket) => Effect.sync(() => socket.destroy()))

const tlsOptions = (settings: Settings): ConnectionOptions => ({
  host: settings.host,
  // SNI takes host names only; Node warns when given an IP address.
  ...(isIP(settings.host) === 0 ? { servername: settings.host } : {}),
  ...(settings.ca === undefined ? {} : { ca: settings.ca })
})

const openTcp = (settings: Settings) =>
  Effect.gen(function* () {
    const socket = yield* owned(() =>
      tcpConnect({ host: settings.host, port: settings.port })
        .setNoDelay(true)
        // ldapts listens for errors once it holds the socket; this one covers the moments
        // between steps, when an error would otherwise be thrown out of the process.
        .on("error", () => undefined)
    )
    yield* step(
      settings,
      "connect",
      "TCP connect",
      settings.connectTimeoutMs,
      ready(socket, "connect")
    )
    return socket
  })

const handshake = (settings: Settings, tcp: Socket) =>
  Effect.gen(function* () {
    const secure = yield* owned((): TLSSocket =>
      tlsConnect({ ...tlsOptions(settings), socket: tcp })
    )
    yield* step(
      settings,
      "tls",
      "TLS handshake",
      settings.connectTimeoutMs,
      ready(secure, "secureConnect")
    )
    return secure
  })

/**
 * ldapts over our socket. It asks for a connection on first use; that call gets ours, and any
 * later one (an implicit reconnect we never want: it would be unbound) fails.
 */
const clientOver = (settings: Settings, socket: Socket): Client => {
  let handedOut = false
  const provide = () => {
    if (handedOut) throw new Error("connection closed")
    handedOut = true
    return socket
  }
  return new Client({
    url: settings.url,
    createConnection: provide as unknown as typeof tcpConnect,
    ...(settings.ldaps ? { createSecureConnection: provide as unknown as typeof tlsConnect } : {})
  })
}

/** Unbinds politely after a clean end, but never waits long: the socket is destroyed anyway. */
const unbind = (connection: Connection, exit: Exit.Exit<unknown, unknown>) =>
  Exit.isSuccess(exit) && connection.alive()
    ? Effect.tryPromise(() => connection.client.unbind()).pipe(
        Effect.timeout("1 second"),
        Effect.ignore
      )
    : Effect.void

/**
 * Connects, negotiates TLS (LDAPS or StartTLS) and binds, each a step with its own failure
 * `step` and time limit. The connection lives as long as the scope: closing it, interrupted
 * or failed midway included, unbinds (after a clean end) and destroys the socket.
 */
export const connect = (
  settings: Settings
): Effect.Effect<Connection, LdapConnectionError, Scope.Scope> =>
  Effect.gen(function* () {
    const tcp = yield* openTcp(settings)
    let closed = false
    tcp.once("close", () => (closed = true))
    const outer = settings.ldaps ? yield* handshake(settings, tcp) : tcp
    const client = clientOver(settings, outer)
    const connection: Connection = {
      client,
      alive: () => !closed && !tcp.destroyed && client.isConnected,
      destroy: () => tcp.destroy()
    }
    yield* Effect.addFinalizer((exit) => unbind(connection, exit))
    if (settings.startTls) {
      // The extended operation and the handshake behind it, as one step.
      const ms = settings.connectTimeoutMs + settings.timeoutMs
      yield* operation(settings, "tls", "StartTLS", ms, () => client.startTLS(tlsOptions(settings)))
    }
    yield* operation(settings, "bind", "bind", settings.timeoutMs, () =>
      client.bind(settings.bindDn, Redacted.value(settings.bindPassword))
    )
    return connection
  }).pipe(Effect.withSpan("PortalDirectory.connect"))
