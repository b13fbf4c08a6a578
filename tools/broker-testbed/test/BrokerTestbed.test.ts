import { ChildProcess } from "@dfo-writeback/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync } from "node:fs"
import { Connection } from "rabbitmq-client"
import { BrokerTestbed } from "../src/index.js"

/**
 * A client connection for the length of the scope. It reconnects on its own; the errors it
 * reports while the node restarts are expected here.
 */
const connect = (url: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const connection = new Connection({ url, retryLow: 50, retryHigh: 200 })
      connection.on("error", () => {})
      return connection
    }),
    (connection) => Effect.promise(() => connection.close())
  )

const publish = (connection: Connection, queue: string, body: string) =>
  Effect.promise(async () => {
    await connection.queueDeclare({ queue, durable: true })
    const publisher = connection.createPublisher({ confirm: true })
    await publisher.send({ routingKey: queue, durable: true }, body)
    await publisher.close()
  })

const depth = (connection: Connection, queue: string) =>
  Effect.promise(() => connection.queueDeclare({ queue, passive: true })).pipe(
    Effect.map((ok) => ok.messageCount)
  )

/** The error a connection with these credentials gets. */
const refusal = (url: string) =>
  Effect.promise(async () => {
    const connection = new Connection({ url, retryLow: 50, retryHigh: 100 })
    const error = await new Promise<unknown>((resolve) => connection.once("error", resolve))
    await connection.close()
    return error
  })

describe("BrokerTestbed", () => {
  // One broker for the whole file: a node takes 6–8 s to start.
  it.scoped(
    "runs a node on loopback with one user, keeps durable messages across a restart, and leaves nothing behind",
    () =>
      Effect.gen(function* () {
        const { dir, pids } = yield* Effect.scoped(
          Effect.gen(function* () {
            const broker = yield* BrokerTestbed.scoped()
            assert.match(broker.url, /^amqp:\/\/writeback:[0-9a-f]{24}@127\.0\.0\.1:\d+\/$/)
            const connection = yield* connect(broker.url)
            yield* publish(connection, "kept", "one")
            assert.strictEqual(yield* depth(connection, "kept"), 1)

            // Its one user is the only way in: no guest account.
            const wrong = broker.url.replace(broker.password, "not-the-password")
            assert.match(String(yield* refusal(wrong)), /ACCESS_REFUSED|auth/i)
            const guest = `amqp://guest:guest@127.0.0.1:${broker.port}/`
            assert.match(String(yield* refusal(guest)), /ACCESS_REFUSED|auth/i)

            yield* broker.restart
            // The client reconnects on its own; the persistent message is still queued.
            assert.strictEqual(yield* depth(connection, "kept"), 1)

            const found = yield* ChildProcess.run("pgrep", ["-f", broker.dir])
            const pids = found.stdout
              .trim()
              .split("\n")
              .filter((line) => line !== "")
            assert.isAbove(pids.length, 0)
            return { dir: broker.dir, pids }
          }).pipe(Effect.provide(ChildProcess.layer))
        )
        // The scope closed: no node process, no files.
        assert.isFalse(existsSync(dir))
        for (const pid of pids) assert.isFalse(ChildProcess.alive(Number(pid)), `pid ${pid}`)
      }),
    120_000
  )
})
