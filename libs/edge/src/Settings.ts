/**
 * The one catalogue of every setting (CONTRACT §6): what `writeback --help` lists, what the
 * README's table is checked against, and what `WRITEBACK_CONFIG` may hold. A name not in it
 * is unknown: in the JSON file it is an error, never silently ignored.
 */

/** How a value is written, so a `WRITEBACK_CONFIG` value of the wrong JSON type is refused. */
export type SettingType = "text" | "integer" | "number" | "boolean" | "list" | "path"

export interface Setting {
  readonly name: string
  /** As shown to people; `undefined` when the setting has no default. */
  readonly default: string | undefined
  readonly meaning: string
  /** Never logged or echoed; also readable from `<name>_FILE`. */
  readonly secret: boolean
  readonly type: SettingType
}

const setting = (
  name: string,
  type: SettingType,
  defaultValue: string | undefined,
  meaning: string,
  secret = false
): Setting => ({ name, type, default: defaultValue, meaning, secret })

/** Every setting, in the order the help and the README show them. */
export const all: ReadonlyArray<Setting> = [
  setting("PORTAL_LDAP_URL", "text", undefined, "ldap://host:port or ldaps://host:port (required)"),
  setting("PORTAL_LDAP_BIND_DN", "text", undefined, "the read-only service account (required)"),
  setting("PORTAL_LDAP_BIND_PASSWORD", "text", undefined, "its password (required)", true),
  setting("PORTAL_LDAP_BASE_DN", "text", "ou=Accounts,dc=meta", "search base"),
  setting("PORTAL_LDAP_STARTTLS", "boolean", "false", "StartTLS on ldap://"),
  setting("PORTAL_LDAP_CA_FILE", "path", undefined, "PEM CA bundle trusted for TLS"),
  setting("PORTAL_LDAP_PAGE_SIZE", "integer", "500", "paged-search page size"),
  setting("PORTAL_LDAP_CONNECT_TIMEOUT_MS", "integer", "5000", "TCP connect and TLS handshake"),
  setting("PORTAL_LDAP_TIMEOUT_MS", "integer", "30000", "each LDAP operation"),
  setting("SAP_ANSATT_BASE_URL", "text", undefined, "DFØ employee collection URL (required)"),
  setting(
    "SAP_API_KEY",
    "text",
    undefined,
    "IntArk/Gravitee key, sent as X-Gravitee-Api-Key (required)",
    true
  ),
  setting("SAP_READ_ONLY", "boolean", "false", "plan and report, never write"),
  setting(
    "SAP_UPDATE_METHOD",
    "text",
    "PUT",
    "PUT (DFØ's API) or PATCH (only for a gateway that lists it): the method of a write"
  ),
  setting(
    "SAP_WRITEBACK_BRUKERIDENT",
    "boolean",
    "false",
    "also write the employee number as brukerident (write-once: only when DFØ holds it empty)"
  ),
  setting(
    "SAP_WRITEBACK_BUSINESS_ROLE_EXCEPTION",
    "list",
    undefined,
    "comma-separated business roles to skip"
  ),
  setting("SAP_CONCURRENCY", "integer", "8", "users in flight at once"),
  setting("SAP_MAX_RPS", "number", "10", "client-side request rate limit towards DFØ"),
  setting(
    "SAP_TIMEOUT_MS",
    "integer",
    "10000",
    "each DFØ request; the list's body may take longer, but never pause for longer"
  ),
  setting("SAP_MAX_RETRIES", "integer", "4", "retries of 429/502/503/504, timeouts and resets"),
  setting("SAP_RETRY_BASE_MS", "integer", "200", "first retry delay, doubled each time, jittered"),
  setting("SAP_MAX_LIST_BYTES", "integer", "536870912", "largest GET {base} body accepted"),
  setting(
    "SAP_ABORT_AFTER_CONSECUTIVE_FAILURES",
    "integer",
    "25",
    "stop starting users after this many failures in a row"
  ),
  setting(
    "SAP_BULK_LIST",
    "boolean",
    "true",
    "full runs read all employees with one GET {base}; false reads each on its own"
  ),
  setting(
    "WRITEBACK_MAX_UPDATES",
    "integer",
    "1000",
    "mass-update guard: a full run planning more writes nothing"
  ),
  setting(
    "WRITEBACK_CONFIG",
    "path",
    undefined,
    "JSON file: any other setting and the attribute mapping"
  ),
  setting("WRITEBACK_MAX_RUN_MS", "integer", "7200000", "the server cancels a run older than this"),
  setting("WRITEBACK_PLAN_MAX_AGE_HOURS", "integer", "24", "apply refuses older plans"),
  setting(
    "GRPC_LISTEN",
    "text",
    "127.0.0.1:50051",
    "server address; :50051, 0.0.0.0:50051 and [::]:50051 listen on every interface"
  ),
  setting(
    "GRPC_AUTH_TOKENS",
    "list",
    undefined,
    "comma-separated bearer tokens; required unless GRPC_ALLOW_UNAUTHENTICATED=true",
    true
  ),
  setting(
    "GRPC_ALLOW_UNAUTHENTICATED",
    "boolean",
    "false",
    "serve without tokens (local use only)"
  ),
  setting("GRPC_TLS_CERT_FILE", "path", undefined, "PEM certificate chain the server presents"),
  setting("GRPC_TLS_KEY_FILE", "path", undefined, "its PEM private key"),
  setting(
    "GRPC_TLS_CLIENT_CA_FILE",
    "path",
    undefined,
    "PEM CA client certificates must chain to (mutual TLS)"
  ),
  setting(
    "GRPC_SHUTDOWN_GRACE_MS",
    "integer",
    "30000",
    "how long running calls may finish after SIGTERM"
  ),
  setting(
    "GRPC_STREAM_STALL_TIMEOUT_MS",
    "integer",
    "60000",
    "a stream whose client reads nothing for this long is cancelled"
  ),
  setting(
    "GRPC_SHUTDOWN_DRAIN_MS",
    "integer",
    "5000",
    "after SIGTERM, how long health answers NOT_SERVING before the listener closes"
  ),
  setting(
    "GRPC_HEALTH_CHECK_INTERVAL_MS",
    "integer",
    "30000",
    "how often the server binds to LDAP and probes DFØ for its health (100–30000)"
  ),
  setting(
    "HTTPS_PROXY",
    "text",
    undefined,
    "egress proxy for DFØ requests over https (also https_proxy); LDAP is reached directly"
  ),
  setting("HTTP_PROXY", "text", undefined, "egress proxy for DFØ requests over http"),
  setting("NO_PROXY", "text", undefined, "hosts reached without the proxy"),
  setting("LOG_LEVEL", "text", "info", "trace, debug, info, warn, error, fatal or none"),
  setting("LOG_FORMAT", "text", "json", "json (one object a line) or text"),
  setting(
    "METRICS_LISTEN",
    "text",
    undefined,
    "server only: host:port serving Prometheus /metrics (:9464 for every interface; off when unset)"
  ),
  setting(
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "text",
    undefined,
    "OTLP/HTTP collector for traces, e.g. http://otel-collector:4318 (spans go to <endpoint>/v1/traces; off when unset)"
  ),
  setting(
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "text",
    undefined,
    "the full OTLP/HTTP traces URL (wins over OTEL_EXPORTER_OTLP_ENDPOINT)"
  ),
  setting(
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "text",
    "http/protobuf",
    "http/protobuf or http/json (OTLP over gRPC is refused)"
  ),
  setting(
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "text",
    undefined,
    "the same for traces only (wins over OTEL_EXPORTER_OTLP_PROTOCOL)"
  ),
  setting("OTEL_SERVICE_NAME", "text", "dfo-writeback", "service.name of every span"),
  setting("OTEL_SDK_DISABLED", "boolean", "false", "true turns trace export off")
]

const byName = new Map(all.map((s) => [s.name, s]))

/** The setting of that exact name. */
export const find = (name: string): Setting | undefined => byName.get(name)

/** Settings only the server reads: `writeback config` leaves them out. */
export const serverOnly: ReadonlySet<string> = new Set([
  ...all.filter((s) => s.name.startsWith("GRPC_")).map((s) => s.name),
  "METRICS_LISTEN",
  "WRITEBACK_MAX_RUN_MS"
])

/** Settings whose value may instead be read from `<name>_FILE`. */
export const secrets: ReadonlyArray<string> = all.filter((s) => s.secret).map((s) => s.name)

/** Every name the environment may hold, `_FILE` forms included. */
export const environmentNames: ReadonlySet<string> = new Set([
  ...all.map((s) => s.name),
  ...secrets.map((name) => `${name}_FILE`)
])

/**
 * Environment variables under these prefixes are ours: an unknown one is a typo, and a
 * typo of a safety setting (`SAP_READONLY=true`) must not be silently ignored. `GRPC_` is
 * not among them: grpc-js reads `GRPC_TRACE`, `GRPC_VERBOSITY` and others of its own.
 */
export const ownPrefixes: ReadonlyArray<string> = ["PORTAL_LDAP_", "SAP_", "WRITEBACK_"]

/** Largest integer a Node.js timer accepts (2^31 − 1 ms, about 24.8 days). */
export const maxTimerMs = 2_147_483_647

/** One setting as help text shows it: meaning, default, and its `_FILE` form for a secret. */
export const describe = (setting: Setting): string =>
  [
    setting.meaning,
    setting.default === undefined ? "" : ` (default ${setting.default})`,
    setting.secret ? `; secret, also as ${setting.name}_FILE` : ""
  ].join("")

/** The settings `keep` keeps (every one by default) as plain text, one a line, for a `--help`. */
export const helpText = (keep: (setting: Setting) => boolean = () => true): string => {
  const width = Math.max(...all.map((s) => s.name.length))
  return all
    .filter(keep)
    .map((s) => `  ${s.name.padEnd(width)}  ${describe(s)}`)
    .join("\n")
}
