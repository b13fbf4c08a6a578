import { Schema } from "effect"

/** The throw-away broker could not be started, restarted or reached. */
export class BrokerTestbedError extends Schema.TaggedError<BrokerTestbedError>()(
  "BrokerTestbedError",
  {
    message: Schema.String,
    /** `not-installed`: rabbitmq-server is missing and could not be installed (the message says how). */
    reason: Schema.optional(Schema.Literal("not-installed"))
  }
) {}
