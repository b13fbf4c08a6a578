import { createServer, type Server, type Socket } from "node:net"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import { PortalDirectory } from "../src/index.js"
import { optionsFor } from "./support.js"

/** A TCP server that accepts connections and never says a word. */
const silentServer = Effect.acquireRelease(
  Effect.async<{ readonly server: Server; readonly port: number }>((resume) => {
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
    })
    server.on("close", () => sockets.forEach((s) => s.destroy()))
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resume(
        Effect.succeed({ server, port: typeof address === "object" && address ? address.port : 0 })
      )
    })
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.close(() => resume(Effect.void))
      server.emit("close")
    })
)

/** A loopback port with nothing listening on it. */
const closedPort = Effect.gen(function* () {
  const { port } = yield* Effect.scoped(silentServer)
  return port
})

const options = (url: string, overrides: Partial<PortalDirectory.Options> = {}) => ({
  url,
  bindDn: "cn=writeback,dc=meta",
  bindPassword: Redacted.make("irrelevant"),
  ...overrides
})

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const started = Date.now()
    const result = yield* Effect.flip(effect)
    return { error: result, ms: Date.now() - started }
  })

describe("PortalDirectory when the directory misbehaves", () => {
  it.scopedLive("fails fast when nothing listens", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const url = `ldap://127.0.0.1:${port}`
      const directory = yield* PortalDirectory.make(options(url, { connectTimeoutMs: 3000 }))
      const { error, ms } = yield* timed(directory.findByKey("username", "x"))
      assert.strictEqual(error._tag, "LdapConnectionError")
      if (error._tag !== "LdapConnectionError") return
      assert.strictEqual(error.step, "connect")
      assert.strictEqual(error.url, url)
      assert.match(error.reason, /ECONNREFUSED/)
      assert.isBelow(ms, 3000)
      const stream = yield* Effect.flip(Stream.runDrain(directory.streamAll()))
      assert.strictEqual(stream.step, "connect")
    })
  )

  it.scopedLive("times out a server that accepts but never answers", () =>
    Effect.gen(function* () {
      const { port } = yield* silentServer
      const plain = yield* PortalDirectory.make(
        options(`ldap://127.0.0.1:${port}`, { timeoutMs: 300 })
      )
      const bind = yield* timed(plain.findByKey("username", "x"))
      assert.strictEqual(bind.error._tag === "LdapConnectionError" && bind.error.step, "bind")
      assert.strictEqual(bind.error._tag === "LdapConnectionError" && bind.error.timeoutMs, 300)
      assert.isBelow(bind.ms, 3000)
      const secure = yield* PortalDirectory.make(
        options(`ldaps://127.0.0.1:${port}`, { connectTimeoutMs: 300 })
      )
      const tls = yield* timed(Stream.runDrain(secure.streamAll()))
      assert.strictEqual(tls.error.step, "tls")
      assert.match(tls.error.reason, /timed out/)
      assert.strictEqual(tls.error.timeoutMs, 300)
      assert.isBelow(tls.ms, 3000)
    })
  )

  it.scopedLive("ends a stream with LdapConnectionError when slapd dies, after one page", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.scoped({ users: 1000 })
      const directory = yield* PortalDirectory.make(optionsFor(t, { pageSize: 100 }))
      let seen = 0
      const error = yield* directory.streamAll().pipe(
        Stream.tap(() => (++seen === 1 ? Effect.promise(() => t.kill()) : Effect.void)),
        Stream.runDrain,
        Effect.flip
      )
      assert.strictEqual(error._tag, "LdapConnectionError")
      assert.strictEqual(error.step, "search")
      // Nothing was read ahead of the consumer: exactly the page in hand, then the failure.
      assert.strictEqual(seen, 100)
    })
  )

  it.scopedLive("reconnects the shared connection after slapd restarts", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.scoped({ users: 20 })
      const directory = yield* PortalDirectory.make(optionsFor(t))
      const id = t.employees[3]?.idautoId ?? ""
      assert.strictEqual((yield* directory.findByKey("idautoID", id)).idautoId, id)
      yield* Effect.promise(() => t.restart())
      assert.strictEqual((yield* directory.findByKey("idautoID", id)).idautoId, id)
      yield* Effect.promise(() => t.kill())
      const down = yield* Effect.flip(directory.findByKey("idautoID", id))
      assert.strictEqual(down._tag === "LdapConnectionError" && down.step, "connect")
      yield* Effect.promise(() => t.restart())
      assert.strictEqual((yield* directory.findByKey("idautoID", id)).idautoId, id)
    })
  )

  it.scopedLive("rejects a URL that is not ldap:// or ldaps://", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(PortalDirectory.make(options("http://127.0.0.1:389")))
      assert.strictEqual(error.step, "connect")
      const both = yield* Effect.flip(
        PortalDirectory.make(options("ldaps://127.0.0.1:636", { startTls: true }))
      )
      assert.strictEqual(both.step, "tls")
    })
  )
})
