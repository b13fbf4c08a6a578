import { Settings } from "@dfo-writeback/edge"

const { setting } = Settings

/**
 * The gRPC server's settings (CONTRACT §6), each declared once: the server reads them,
 * and the CLI knows them, so one environment or `WRITEBACK_CONFIG` file serves both.
 */
export const settings = {
  listen: setting(
    "GRPC_LISTEN",
    "text",
    "127.0.0.1:50051",
    "server address; :50051, 0.0.0.0:50051 and [::]:50051 listen on every interface"
  ),
  authTokens: setting(
    "GRPC_AUTH_TOKENS",
    "list",
    undefined,
    "comma-separated bearer tokens; required unless GRPC_ALLOW_UNAUTHENTICATED=true",
    true
  ),
  allowUnauthenticated: setting(
    "GRPC_ALLOW_UNAUTHENTICATED",
    "boolean",
    false,
    "serve without tokens (local use only)"
  ),
  tlsCertFile: setting(
    "GRPC_TLS_CERT_FILE",
    "path",
    undefined,
    "PEM certificate chain the server presents"
  ),
  tlsKeyFile: setting("GRPC_TLS_KEY_FILE", "path", undefined, "its PEM private key"),
  tlsClientCaFile: setting(
    "GRPC_TLS_CLIENT_CA_FILE",
    "path",
    undefined,
    "PEM CA client certificates must chain to (mutual TLS)"
  ),
  shutdownGraceMs: setting(
    "GRPC_SHUTDOWN_GRACE_MS",
    "integer",
    30_000,
    "how long running calls may finish after SIGTERM"
  ),
  streamStallTimeoutMs: setting(
    "GRPC_STREAM_STALL_TIMEOUT_MS",
    "integer",
    60_000,
    "a stream whose client reads nothing for this long is cancelled"
  ),
  shutdownDrainMs: setting(
    "GRPC_SHUTDOWN_DRAIN_MS",
    "integer",
    5000,
    "after SIGTERM, how long health answers NOT_SERVING before the listener closes"
  ),
  healthCheckIntervalMs: setting(
    "GRPC_HEALTH_CHECK_INTERVAL_MS",
    "integer",
    30_000,
    "how often the server binds to LDAP and probes DFØ for its health (100–30000)"
  ),
  metricsListen: setting(
    "METRICS_LISTEN",
    "text",
    undefined,
    "server only: host:port serving Prometheus /metrics (:9464 for every interface; off when unset)"
  ),
  maxRunMs: setting(
    "WRITEBACK_MAX_RUN_MS",
    "integer",
    7_200_000,
    "the server cancels a run older than this"
  )
}
