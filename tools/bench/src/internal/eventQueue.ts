/**
 * A queue of the bench's own on the throw-away broker, declared the way an institution
 * declares one (README "Events": durable, with a dead-letter exchange), and a publisher
 * whose every message the broker confirms. Gone when the scope closes.
 */
import { Topology } from "@dfo-writeback/broker-testbed"
import { Effect, type Scope } from "effect"
import { randomBytes } from "node:crypto"
import { Connection } from "rabbitmq-client"
import { setTimeout as sleep } from "node:timers/promises"
import { epochMs, now } from "./timing.js"

export interface EventQueue {
  readonly name: string
  /** Publishes one persistent JSON message; resolves once the broker confirmed it. */
  readonly publish: (body: unknown) => Promise<void>
}

export const scoped = (url: string): Effect.Effect<EventQueue, never, Scope.Scope> =>
  Effect.gen(function* () {
    // A name of its own per run, so nothing a failed run left behind is consumed.
    const name = `bench.scim.${randomBytes(4).toString("hex")}`
    const connection = yield* Effect.acquireRelease(
      Effect.sync(() => new Connection({ url, retryLow: 50, retryHigh: 500 })),
      (made) => Effect.promise(() => made.close())
    )
    yield* Effect.acquireRelease(
      Effect.promise(() => Topology.declareQueue(connection, name)),
      () =>
        Effect.promise(async () => {
          await connection.queueDelete(name)
          await connection.queueDelete(`${name}.dead`)
          await connection.exchangeDelete({ exchange: `${name}.dlx` })
        }).pipe(Effect.ignore)
    )
    const publisher = yield* Effect.acquireRelease(
      Effect.sync(() => connection.createPublisher({ confirm: true })),
      (made) => Effect.promise(() => made.close())
    )
    return {
      name,
      publish: (body) =>
        publisher.send(
          { routingKey: name, durable: true, contentType: "application/json" },
          Buffer.from(JSON.stringify(body))
        )
    }
  })

/**
 * Publishes `count` messages, the i-th (`bodyOf(i)`, built as it goes out) at start +
 * i / `ratePerSec` s, or all as fast as the broker takes them without a rate; waits for
 * every confirmation and returns when each was handed over (`epochMs`).
 */
export const publishAll = (
  queue: EventQueue,
  count: number,
  bodyOf: (i: number) => unknown,
  ratePerSec?: number
): Effect.Effect<ReadonlyArray<number>> =>
  Effect.promise(async () => {
    const start = now()
    const times: Array<number> = []
    const confirmed: Array<Promise<void>> = []
    for (let i = 0; i < count; i++) {
      if (ratePerSec !== undefined) {
        const wait = start + (i * 1000) / ratePerSec - now()
        if (wait > 0) await sleep(wait)
      }
      times.push(epochMs())
      confirmed.push(queue.publish(bodyOf(i)))
    }
    await Promise.all(confirmed)
    return times
  })
