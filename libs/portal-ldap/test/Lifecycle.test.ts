import { connect as tcpConnect } from "node:net"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { ChildProcess } from "@dfo-writeback/testkit"
import { assert, layer } from "@effect/vitest"
import { Effect, Exit, Fiber, Scope, Stream } from "effect"
import { PortalDirectory } from "../src/index.js"
import { currentTcpSockets, optionsFor, settledTcpSockets } from "./support.js"

/**
 * slapd frozen with SIGSTOP for the length of the scope: the kernel still completes TCP
 * handshakes into its listen queue, but nothing answers a TLS hello or an LDAP request.
 */
const frozen = (t: LdapTestbed.Testbed) =>
  Effect.acquireRelease(
    Effect.sync(() => process.kill(t.pid() ?? 0, "SIGSTOP")),
    () => Effect.sync(() => process.kill(t.pid() ?? 0, "SIGCONT"))
  )

/**
 * A loopback port whose listen queue is full: a listener with a backlog of one that never
 * accepts (its process blocks right after listening), and connections that fill the queue.
 * The kernel drops any further SYN, so a TCP connect to it never completes.
 */
const fullBacklog = Effect.gen(function* () {
  const script = [
    `const server = require("node:net").createServer()`,
    `server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {`,
    // Written straight to the pipe: the event loop is blocked right after.
    `  require("node:fs").writeSync(1, server.address().port + "\\n")`,
    `  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)`,
    `})`
  ].join("\n")
  const child = yield* ChildProcess.start(process.execPath, ["-e", script], {
    readyWhen: (line) => (/^\d+$/.test(line.trim()) ? Number(line) : undefined),
    stopGrace: "1 second"
  })
  for (let i = 0; i < 3; i++) {
    yield* Effect.acquireRelease(
      Effect.sync(() =>
        tcpConnect({ host: "127.0.0.1", port: child.ready }).on("error", () => undefined)
      ),
      (socket) => Effect.sync(() => socket.destroy())
    )
  }
  return `ldap://127.0.0.1:${child.ready}`
}).pipe(Effect.provide(ChildProcess.layer))

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const started = Date.now()
    const error = yield* Effect.flip(effect)
    return { error, ms: Date.now() - started }
  })

layer(LdapTestbed.layer({ users: 5, seed: 3, tls: true }), {
  excludeTestServices: true,
  timeout: "60 seconds"
})("PortalDirectory's lifecycle steps against slapd", (it) => {
  it.scoped("a TCP connect that never completes times out as the connect step", () =>
    Effect.gen(function* () {
      const url = yield* fullBacklog
      const directory = yield* PortalDirectory.make({
        ...optionsFor(yield* LdapTestbed.LdapTestbed),
        url,
        connectTimeoutMs: 300
      })
      const lookup = yield* timed(directory.findByKey("idautoID", "x"))
      assert.strictEqual(lookup.error._tag, "LdapConnectionError")
      if (lookup.error._tag !== "LdapConnectionError") return
      assert.strictEqual(lookup.error.step, "connect")
      assert.strictEqual(lookup.error.timeoutMs, 300)
      assert.strictEqual(lookup.error.url, url)
      assert.strictEqual(lookup.error.reason, "TCP connect timed out after 300 ms")
      assert.isBelow(lookup.ms, 3000)
      const check = yield* Effect.flip(directory.check())
      assert.deepInclude(check, { step: "connect", timeoutMs: 300 })
    })
  )

  it.scoped("bind, StartTLS and the LDAPS handshake each time out as their own step", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      // The previous test's sockets may still be closing: count once they are gone.
      const before = yield* settledTcpSockets(0)
      yield* frozen(t)
      const plain = yield* PortalDirectory.make(optionsFor(t, { timeoutMs: 300 }))
      const bind = yield* timed(plain.check())
      assert.deepInclude(bind.error, {
        step: "bind",
        timeoutMs: 300,
        url: t.url,
        reason: "bind timed out after 300 ms"
      })
      const startTls = yield* PortalDirectory.make(
        optionsFor(t, { startTls: true, caFile: t.caFile, connectTimeoutMs: 200, timeoutMs: 100 })
      )
      const tls = yield* timed(startTls.findByKey("idautoID", "x"))
      assert.deepInclude(tls.error, { step: "tls", timeoutMs: 300 })
      const ldaps = yield* PortalDirectory.make(
        optionsFor(t, { url: t.ldapsUrl ?? "", caFile: t.caFile, connectTimeoutMs: 300 })
      )
      const handshake = yield* timed(Stream.runDrain(ldaps.streamAll()))
      assert.deepInclude(handshake.error, {
        step: "tls",
        timeoutMs: 300,
        url: t.ldapsUrl ?? "",
        reason: "TLS handshake timed out after 300 ms"
      })
      for (const { ms } of [bind, tls, handshake]) assert.isBelow(ms, 3000)
      // Every connection a timed-out step left behind is closed.
      assert.strictEqual(yield* settledTcpSockets(before), before)
    })
  )

  it.scoped("a search that times out is the search step; the next lookup reconnects", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const person = t.employees[0]?.idautoId ?? ""
      const directory = yield* PortalDirectory.make(optionsFor(t, { timeoutMs: 300 }))
      assert.strictEqual((yield* directory.findByKey("idautoID", person)).idautoId, person)
      const before = yield* currentTcpSockets
      const stalled = yield* Effect.scoped(
        Effect.zipRight(frozen(t), timed(directory.findByKey("idautoID", person)))
      )
      assert.deepInclude(stalled.error, {
        step: "search",
        timeoutMs: 300,
        reason: "search timed out after 300 ms"
      })
      assert.isBelow(stalled.ms, 3000)
      // The connection that let a search time out was closed, not kept for the next one.
      assert.strictEqual(yield* settledTcpSockets(before - 1), before - 1)
      assert.strictEqual((yield* directory.findByKey("idautoID", person)).idautoId, person)
      assert.strictEqual(yield* currentTcpSockets, before)
    })
  )

  it.scoped("a page that times out ends the stream as the search step and closes it", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const directory = yield* PortalDirectory.make(optionsFor(t, { timeoutMs: 300, pageSize: 2 }))
      const before = yield* currentTcpSockets
      const error = yield* directory.streamAll().pipe(
        Stream.tap(() => frozen(t)),
        Stream.runDrain,
        Effect.scoped,
        Effect.flip
      )
      assert.deepInclude(error, { step: "search", timeoutMs: 300 })
      assert.strictEqual(yield* settledTcpSockets(before), before)
    })
  )

  it.scoped("interrupting a lookup while it binds or negotiates TLS closes its connection", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const before = yield* currentTcpSockets
      yield* frozen(t)
      const directories = [
        yield* PortalDirectory.make(optionsFor(t)),
        yield* PortalDirectory.make(optionsFor(t, { startTls: true, caFile: t.caFile })),
        yield* PortalDirectory.make(optionsFor(t, { url: t.ldapsUrl ?? "", caFile: t.caFile }))
      ]
      for (const directory of directories) {
        const lookup = yield* Effect.fork(directory.findByKey("idautoID", "x"))
        assert.strictEqual(yield* settledTcpSockets(before + 1), before + 1, "connected")
        const started = Date.now()
        yield* Fiber.interrupt(lookup)
        // Well within the 10 s a step may take: nothing waited for the frozen server.
        assert.isBelow(Date.now() - started, 2000)
        assert.strictEqual(yield* settledTcpSockets(before), before, "closed")
      }
    })
  )

  it.effect("the shared connection is closed with the directory's scope", () =>
    Effect.gen(function* () {
      const t = yield* LdapTestbed.LdapTestbed
      const before = yield* currentTcpSockets
      const scope = yield* Scope.make()
      const directory = yield* Scope.extend(PortalDirectory.make(optionsFor(t)), scope)
      const people = t.employees.map((e) => e.idautoId)
      yield* Effect.forEach(people, (id) => directory.findByKey("idautoID", id), {
        concurrency: "unbounded"
      })
      assert.strictEqual(yield* currentTcpSockets, before + 1, "one connection for them all")
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(yield* settledTcpSockets(before), before)
    })
  )
})
