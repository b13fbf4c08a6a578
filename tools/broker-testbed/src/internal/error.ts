import { Schema } from "effect"

/** The throw-away broker could not be started, restarted or reached. */
export class BrokerTestbedError extends Schema.TaggedError<BrokerTestbedError>()(
  "BrokerTestbedError",
  { message: Schema.String }
) {}
