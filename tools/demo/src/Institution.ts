/**
 * The institution's side of the events (README "Events"): a throw-away RabbitMQ, the two
 * queues with their dead-letter exchanges (the server never declares a queue), and a
 * publisher standing in for Felles IAM and DFØ. Everything lives as long as its scope.
 */
import { BrokerTestbed, Topology } from "@dfo-writeback/broker-testbed"
import type { CommandExecutor } from "@effect/platform"
import { Effect, Schema, type Scope } from "effect"
import { Connection } from "rabbitmq-client"

/** The queues, named as an institution might name them. */
export const queues = { scim: "iam.scim.writeback", dfo: "dfo.ansatte.writeback" } as const

/** The broker's queues could not be declared, or a message could not be published. */
export class InstitutionError extends Schema.TaggedError<InstitutionError>()("InstitutionError", {
  message: Schema.String
}) {}

export interface Institution {
  /** The broker's URL for `EVENTS_AMQP_URL` (its password inside: a secret). */
  readonly url: string
  readonly port: number
  /** Publishes `body` as JSON to `queue` once the broker has confirmed it. */
  readonly publish: (queue: string, body: unknown) => Effect.Effect<void, InstitutionError>
}

const attempt = <A>(what: string, run: () => Promise<A>) =>
  Effect.tryPromise({
    try: run,
    // The library's text only: a broker URL never reaches it.
    catch: (error) =>
      new InstitutionError({
        message: `${what}: ${error instanceof Error ? error.message : String(error)}`
      })
  })

/** Starts the broker and declares the queues; fails `not-installed` without RabbitMQ. */
export const scoped = (): Effect.Effect<
  Institution,
  BrokerTestbed.BrokerTestbedError | InstitutionError,
  Scope.Scope | CommandExecutor.CommandExecutor
> =>
  Effect.gen(function* () {
    const broker = yield* BrokerTestbed.scoped()
    const connection = yield* Effect.acquireRelease(
      Effect.sync(() => new Connection({ url: broker.url, retryLow: 50, retryHigh: 500 })),
      (made) => Effect.promise(() => made.close())
    )
    yield* attempt("declaring the queues", () =>
      Promise.all(Object.values(queues).map((queue) => Topology.declareQueue(connection, queue)))
    )
    const publisher = yield* Effect.acquireRelease(
      Effect.sync(() => connection.createPublisher({ confirm: true })),
      (made) => Effect.promise(() => made.close())
    )
    return {
      url: broker.url,
      port: broker.port,
      publish: (queue, body) =>
        attempt(`publishing to ${queue}`, () =>
          publisher.send(
            // DFØ sends its JSON as application/octet-stream; the server reads either.
            { routingKey: queue, durable: true, contentType: "application/octet-stream" },
            Buffer.from(JSON.stringify(body))
          )
        )
    } satisfies Institution
  })
