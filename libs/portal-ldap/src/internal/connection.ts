import { isIP, type Socket, connect as tcpConnect } from "node:net"
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls"
import { LdapConnectionError, type LdapStep } from "@dfo-writeback/domain"
import { Effect, Redacted } from "effect"
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
  /** False once the socket closed (server gone, idle timeout, operation timeout). */
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

const withTimeout = <A>(
  promise: Promise<A>,
  ms: number,
  what: string,
  onTimeout: () => void
): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout()
      reject(new Error(`${what} timed out after ${ms} ms`))
    }, ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      }
    )
  })

const openTcp = (settings: Settings): Promise<Socket> => {
  const socket = tcpConnect({ host: settings.host, port: settings.port })
  socket.setNoDelay(true)
  return withTimeout(
    new Promise<Socket>((resolve, reject) => {
      socket.once("connect", () => {
        socket.removeAllListeners("error")
        resolve(socket)
      })
      socket.once("error", reject)
    }),
    settings.connectTimeoutMs,
    "TCP connect",
    () => socket.destroy()
  ).catch((error: unknown) => {
    socket.destroy()
    throw error
  })
}

const tlsOptions = (settings: Settings): ConnectionOptions => ({
  host: settings.host,
  // SNI takes host names only; Node warns when given an IP address.
  ...(isIP(settings.host) === 0 ? { servername: settings.host } : {}),
  ...(settings.ca === undefined ? {} : { ca: settings.ca })
})

const handshake = (settings: Settings, socket: Socket): Promise<TLSSocket> => {
  const secure = tlsConnect({ ...tlsOptions(settings), socket })
  return withTimeout(
    new Promise<TLSSocket>((resolve, reject) => {
      secure.once("secureConnect", () => {
        secure.removeAllListeners("error")
        resolve(secure)
      })
      secure.once("error", reject)
    }),
    settings.connectTimeoutMs,
    "TLS handshake",
    () => secure.destroy()
  )
}

/**
 * Connects, negotiates TLS (LDAPS or StartTLS) and binds, each step with its own failure
 * `step`. The sockets are ours and handed to ldapts, so we know which step failed and can
 * close a connection at once.
 */
export const connect = (settings: Settings): Effect.Effect<Connection, LdapConnectionError> =>
  Effect.async<Connection, LdapConnectionError>((resume) => {
    let raw: Socket | undefined
    let closed = false
    const destroy = () => {
      closed = true
      raw?.destroy()
    }
    const step = <A>(name: LdapStep, promise: () => Promise<A>) =>
      promise().catch((error: unknown) => {
        throw failure(settings, name, error)
      })
    const run = async (): Promise<Connection> => {
      const tcp = await step("connect", () => openTcp(settings))
      raw = tcp
      if (closed) tcp.destroy()
      tcp.once("close", () => (closed = true))
      const outer: Socket = settings.ldaps ? await step("tls", () => handshake(settings, tcp)) : tcp
      let handedOut = false
      // ldapts calls these to (re)connect; the first call gets our socket, any later one (an
      // implicit reconnect we never want: it would be unbound) fails.
      const provide = () => {
        if (handedOut) throw new Error("connection closed")
        handedOut = true
        return outer
      }
      const client = new Client({
        url: settings.url,
        timeout: settings.timeoutMs,
        connectTimeout: settings.connectTimeoutMs,
        createConnection: (() => provide()) as unknown as typeof tcpConnect,
        ...(settings.ldaps
          ? { createSecureConnection: (() => provide()) as unknown as typeof tlsConnect }
          : {})
      })
      if (settings.startTls) {
        await step("tls", () =>
          withTimeout(
            client.startTLS(tlsOptions(settings)),
            settings.connectTimeoutMs + settings.timeoutMs,
            "StartTLS",
            destroy
          )
        )
      }
      await step("bind", () => client.bind(settings.bindDn, Redacted.value(settings.bindPassword)))
      return {
        client,
        alive: () => !closed && !tcp.destroyed && client.isConnected,
        destroy
      }
    }
    run().then(
      (connection) => resume(Effect.succeed(connection)),
      (error: unknown) => {
        destroy()
        resume(
          Effect.fail(
            error instanceof LdapConnectionError ? error : failure(settings, "connect", error)
          )
        )
      }
    )
    // Interrupted while connecting: drop the half-open socket.
    return Effect.sync(destroy)
  }).pipe(Effect.withSpan("PortalDirectory.connect"))

/** Unbinds politely, but never waits long: the socket is destroyed either way. */
export const close = (connection: Connection): Effect.Effect<void> =>
  Effect.promise(() =>
    connection.alive()
      ? withTimeout(connection.client.unbind(), 1000, "unbind", connection.destroy).catch(
          () => undefined
        )
      : Promise.resolve()
  ).pipe(Effect.ensuring(Effect.sync(connection.destroy)))
