/**
 * The institution's side of the broker (README "Events"), for tests and the demo: the
 * program never declares a queue, so whoever stands in for the institution does.
 */
import type { Connection } from "rabbitmq-client"

/**
 * A durable queue whose rejected messages go to its own dead-letter exchange
 * (`<queue>.dlx`, `x-dead-letter-exchange`) and from there to `<queue>.dead`; `quorum`, a
 * quorum queue (as the README recommends), which counts redeliveries in `x-delivery-count`.
 */
export const declareQueue = async (
  connection: Connection,
  queue: string,
  options: { readonly quorum?: boolean } = {}
): Promise<void> => {
  await connection.exchangeDeclare({ exchange: `${queue}.dlx`, type: "fanout", durable: true })
  await connection.queueDeclare({ queue: `${queue}.dead`, durable: true })
  await connection.queueBind({ queue: `${queue}.dead`, exchange: `${queue}.dlx` })
  await connection.queueDeclare({
    queue,
    durable: true,
    arguments: {
      "x-dead-letter-exchange": `${queue}.dlx`,
      ...(options.quorum === true ? { "x-queue-type": "quorum" } : {})
    }
  })
}
