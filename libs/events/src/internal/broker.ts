/**
 * The consumer's connection to the broker and its confirming publisher, for the scope:
 * reconnected by the client with backoff, every failure logged without the URL's
 * credentials.
 */
import { Effect, Runtime, type Scope } from "effect"
import { type AsyncMessage, Connection, ConsumerStatus, type Publisher } from "rabbitmq-client"
import { copyHeaders } from "./delivery.js"

export interface Broker {
  readonly connection: Connection
  /**
   * Puts a copy of `message` carrying `attempts` back on `queue`: the original is
   * acknowledged only once the broker confirmed the copy, so a failure here requeues the
   * original instead. A copy, not a requeue: a quorum queue counts every requeue in
   * `x-delivery-count` (RabbitMQ 4 dead-letters at its delivery limit, 20 by default).
   */
  readonly requeueCopy: (
    queue: string,
    message: AsyncMessage,
    attempts: number
  ) => Effect.Effect<ConsumerStatus>
}

/** A broker error without the URL's credentials, whatever the client put in it. */
export const describe = (error: unknown, url: string): string => {
  const text = error instanceof Error ? error.message : String(error)
  const password = URL.canParse(url) ? new URL(url).password : ""
  return (password === "" ? text : text.split(password).join("<redacted>")).slice(0, 300)
}

export const open = (
  url: string,
  ca: string | undefined
): Effect.Effect<Broker, never, Scope.Scope> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const connection = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const made = new Connection({
          url,
          connectionName: "dfo-writeback",
          // A broker restart takes seconds; trying every 5 s at most costs it nothing.
          retryLow: 500,
          retryHigh: 5000,
          ...(ca === undefined ? {} : { tls: { ca } })
        })
        made.on("error", (error) =>
          Runtime.runFork(runtime)(
            Effect.logWarning("event broker connection failed; reconnecting").pipe(
              Effect.annotateLogs({ error: describe(error, url) })
            )
          )
        )
        return made
      }),
      (made) => Effect.promise(() => made.close())
    )
    const publisher: Publisher = yield* Effect.acquireRelease(
      Effect.sync(() => connection.createPublisher({ confirm: true })),
      (made) => Effect.promise(() => made.close())
    )
    const requeueCopy: Broker["requeueCopy"] = (queue, message, attempts) =>
      Effect.tryPromise(() =>
        publisher.send(
          {
            routingKey: queue,
            durable: true,
            ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
            headers: copyHeaders(message, attempts)
          },
          message.body
        )
      ).pipe(
        Effect.isSuccess,
        Effect.map((copied) => (copied ? ConsumerStatus.ACK : ConsumerStatus.REQUEUE))
      )
    return { connection, requeueCopy }
  })
