/**
 * Free loopback ports for throw-away servers. A port found free may be taken again before
 * the server binds it, so callers that choose ports retry on "address in use".
 */
import { createServer } from "node:net"
import { Effect } from "effect"

/** A TCP port on 127.0.0.1 that nothing listens on at this moment. */
export const free: Effect.Effect<number> = Effect.async<number>((resume) => {
  const server = createServer()
  server.once("error", (error) => resume(Effect.die(error)))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** `count` distinct free ports. */
export const freeMany = (count: number): Effect.Effect<ReadonlyArray<number>> =>
  Effect.iterate([] as ReadonlyArray<number>, {
    while: (ports) => ports.length < count,
    body: (ports) => Effect.map(free, (port) => (ports.includes(port) ? ports : [...ports, port]))
  })
