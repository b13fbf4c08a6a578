import * as http from "node:http"
import * as net from "node:net"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"

/** What the proxy forwarded: a CONNECT tunnel (`host:port`) or a plain request (absolute URL). */
export interface Forwarded {
  readonly kind: "CONNECT" | "forward"
  readonly target: string
}

export interface RecordingProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly forwarded: () => ReadonlyArray<Forwarded>
}

/**
 * A real HTTP proxy on a free loopback port, as an egress proxy (squid and the like) works:
 * `CONNECT host:port` opens a tunnel, a request with an absolute URL is forwarded. It
 * records each target, so a test can prove which requests took the proxy.
 */
export const scoped: Effect.Effect<RecordingProxy, never, Scope.Scope> = Effect.acquireRelease(
  Effect.async<{ readonly server: http.Server; readonly proxy: RecordingProxy }>((resume) => {
    const forwarded: Array<Forwarded> = []
    const sockets = new Set<net.Socket>()
    const server = http.createServer((request, response) => {
      forwarded.push({ kind: "forward", target: request.url ?? "" })
      const upstream = http.request(
        request.url ?? "",
        { method: request.method, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(response)
        }
      )
      upstream.on("error", () => response.destroy())
      request.pipe(upstream)
    })
    server.on("connect", (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      const target = request.url ?? ""
      forwarded.push({ kind: "CONNECT", target })
      const [host = "", port = "0"] = [
        target.slice(0, target.lastIndexOf(":")),
        target.slice(target.lastIndexOf(":") + 1)
      ]
      const upstream = net.connect(Number(port), host, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n")
        upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        socket.on("error", () => {
          client.destroy()
          upstream.destroy()
        })
      }
    })
    server.on("connection", (socket: net.Socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      const close = server.close.bind(server)
      // Tunnels outlive their requests; closing the proxy closes them too.
      server.close = (callback) => {
        for (const socket of sockets) socket.destroy()
        return close(callback)
      }
      resume(
        Effect.succeed({
          server,
          proxy: { url: `http://127.0.0.1:${port}`, forwarded: () => [...forwarded] }
        })
      )
    })
  }),
  ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
).pipe(Effect.map(({ proxy }) => proxy))
