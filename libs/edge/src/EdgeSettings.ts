import { setting } from "./Settings.js"

/** The settings the edge reads itself: the configuration file, the log format and traces. */
export const settings = {
  config: setting(
    "WRITEBACK_CONFIG",
    "path",
    undefined,
    "JSON file: any other setting and the attribute mapping"
  ),
  logLevel: setting("LOG_LEVEL", "text", "info", "trace, debug, info, warn, error, fatal or none"),
  logFormat: setting("LOG_FORMAT", "text", "json", "json (one object a line) or text"),
  otlpEndpoint: setting(
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "text",
    undefined,
    "OTLP/HTTP collector for traces, e.g. http://otel-collector:4318 (spans go to <endpoint>/v1/traces; off when unset)"
  ),
  otlpTracesEndpoint: setting(
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "text",
    undefined,
    "the full OTLP/HTTP traces URL (wins over OTEL_EXPORTER_OTLP_ENDPOINT)"
  ),
  otlpProtocol: setting(
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "text",
    "http/protobuf",
    "http/protobuf or http/json (OTLP over gRPC is refused)"
  ),
  otlpTracesProtocol: setting(
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "text",
    undefined,
    "the same for traces only (wins over OTEL_EXPORTER_OTLP_PROTOCOL)"
  ),
  serviceName: setting("OTEL_SERVICE_NAME", "text", "dfo-writeback", "service.name of every span"),
  sdkDisabled: setting("OTEL_SDK_DISABLED", "boolean", false, "true turns trace export off")
}
