import * as net from "node:net"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"

/** LDAPv3 protocol operations (RFC 4511 application tags), as a client sends them. */
export const Operation = {
  0x60: "bind",
  0x42: "unbind",
  0x63: "search",
  0x77: "extended",
  0x50: "abandon"
} as const satisfies Record<number, string>

export interface LdapTap {
  /** `ldap://127.0.0.1:<port>`, forwarding to the real directory. */
  readonly url: string
  /** Every operation clients sent through the tap, in order (`"tag 0x.."` when unknown). */
  readonly operations: () => ReadonlyArray<string>
}

/** The length of a BER element starting at `offset`, header included; undefined when incomplete. */
const elementLength = (buffer: Buffer, offset: number): number | undefined => {
  const first = buffer[offset + 1]
  if (first === undefined) return undefined
  if (first < 0x80) return 2 + first
  const bytes = first & 0x7f
  if (offset + 2 + bytes > buffer.length) return undefined
  return 2 + bytes + buffer.readUIntBE(offset + 2, bytes)
}

/** The protocol operation tag of one LDAPMessage: SEQUENCE { messageID INTEGER, protocolOp }. */
const operationOf = (message: Buffer): number | undefined => {
  const header = (message[1] ?? 0) < 0x80 ? 2 : 2 + ((message[1] ?? 0) & 0x7f)
  const idLength = elementLength(message, header)
  return idLength === undefined ? undefined : message[header + idLength]
}

/**
 * A TCP forwarder in front of a real slapd that decodes the client's LDAP messages just far
 * enough to name each operation: a test proves "LDAP was not searched" from what reached
 * the directory, not from the server's own word.
 */
export const scoped = (target: {
  readonly host: string
  readonly port: number
}): Effect.Effect<LdapTap, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: net.Server; readonly tap: LdapTap }>((resume) => {
      const operations: Array<string> = []
      const sockets = new Set<net.Socket>()
      const server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host)
        let pending = Buffer.alloc(0)
        client.on("data", (chunk: Buffer) => {
          pending = Buffer.concat([pending, chunk])
          for (;;) {
            const length = elementLength(pending, 0)
            if (length === undefined || length > pending.length) break
            const tag = operationOf(pending.subarray(0, length))
            operations.push(
              Operation[tag as keyof typeof Operation] ?? `tag 0x${(tag ?? 0).toString(16)}`
            )
            pending = pending.subarray(length)
          }
          upstream.write(chunk)
        })
        upstream.pipe(client)
        for (const socket of [client, upstream]) {
          sockets.add(socket)
          socket.on("close", () => {
            sockets.delete(socket)
            client.destroy()
            upstream.destroy()
          })
          socket.on("error", () => undefined)
        }
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        const close = server.close.bind(server)
        server.close = (callback) => {
          for (const socket of sockets) socket.destroy()
          return close(callback)
        }
        resume(
          Effect.succeed({
            server,
            tap: { url: `ldap://127.0.0.1:${port}`, operations: () => [...operations] }
          })
        )
      })
    }),
    ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  ).pipe(Effect.map(({ tap }) => tap))
