import { Settings } from "@dfo-writeback/edge"

const { setting } = Settings

/**
 * The `EVENTS_*` settings (CONTRACT §8), each declared once: `EventsConfig.config` reads
 * them. Only the server reads them; the CLI knows them, so one environment serves both.
 */
export const settings = {
  amqpUrl: setting(
    "EVENTS_AMQP_URL",
    "text",
    undefined,
    "server only: amqp:// or amqps:// URL with credentials of the broker whose queues are consumed (off when unset)",
    true
  ),
  amqpCaFile: setting("EVENTS_AMQP_CA_FILE", "path", undefined, "PEM CA bundle for amqps://"),
  scimQueue: setting(
    "EVENTS_SCIM_QUEUE",
    "text",
    undefined,
    "a queue bound to Felles IAM's SCIM user events (no.{inst}.iga.scim.user.*)"
  ),
  dfoQueue: setting(
    "EVENTS_DFO_QUEUE",
    "text",
    undefined,
    "a queue receiving DFØ's employee notifications"
  ),
  scimAttributes: setting(
    "EVENTS_SCIM_ATTRIBUTES",
    "list",
    ["userName", "emails", "employeeNumber", "active", "roles"],
    "a SCIM MODIFY naming none of these is acknowledged without a run"
  ),
  debounceMs: setting(
    "EVENTS_DEBOUNCE_MS",
    "integer",
    2000,
    "events for one person within this window become one run"
  ),
  prefetch: setting("EVENTS_PREFETCH", "integer", 32, "unacknowledged messages held at once"),
  maxAttempts: setting(
    "EVENTS_MAX_ATTEMPTS",
    "integer",
    5,
    "a message whose run failed this many times is dead-lettered"
  )
}
