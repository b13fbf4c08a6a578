import { HelpDoc } from "@effect/cli"
import * as Span from "@effect/cli/HelpDoc/Span"
import { Array as Arr } from "effect"

const settings: Arr.NonEmptyReadonlyArray<readonly [string, string]> = [
  ["PORTAL_LDAP_URL", "ldap://host:port or ldaps://host:port (required)"],
  [
    "PORTAL_LDAP_BIND_DN, PORTAL_LDAP_BIND_PASSWORD",
    "service account (password also as PORTAL_LDAP_BIND_PASSWORD_FILE)"
  ],
  ["PORTAL_LDAP_BASE_DN", "search base (default ou=Accounts,dc=meta)"],
  ["PORTAL_LDAP_STARTTLS", "StartTLS on ldap:// (default false)"],
  ["PORTAL_LDAP_CA_FILE", "CA bundle for TLS"],
  ["PORTAL_LDAP_PAGE_SIZE", "paged-search page size (default 500)"],
  [
    "PORTAL_LDAP_CONNECT_TIMEOUT_MS, PORTAL_LDAP_TIMEOUT_MS",
    "connect, and each LDAP operation (default 5000, 30000)"
  ],
  ["SAP_ANSATT_BASE_URL", "DFØ employee collection URL (required)"],
  ["SAP_API_KEY", "gateway key (required; also as SAP_API_KEY_FILE)"],
  ["SAP_READ_ONLY", "never write (default false)"],
  ["SAP_WRITEBACK_BRUKERIDENT", "also write brukerident, write-once (default false)"],
  ["SAP_WRITEBACK_BUSINESS_ROLE_EXCEPTION", "comma-separated business roles to skip"],
  ["SAP_CONCURRENCY", "users in flight at once (default 8)"],
  ["SAP_MAX_RPS", "client-side request rate limit (default 10)"],
  ["SAP_TIMEOUT_MS", "per request (default 10000)"],
  ["SAP_MAX_RETRIES", "retries of transient answers (default 4)"],
  ["SAP_RETRY_BASE_MS", "first retry delay, doubled each time, jittered (default 200)"],
  ["SAP_MAX_LIST_BYTES", "largest all-employees body accepted (default 512 MiB)"],
  [
    "SAP_ABORT_AFTER_CONSECUTIVE_FAILURES",
    "stop after this many failed users in a row (default 25)"
  ],
  ["SAP_BULK_LIST", "full runs read all employees with one GET (default true)"],
  ["WRITEBACK_MAX_UPDATES", "mass-update guard (default 1000)"],
  ["WRITEBACK_CONFIG", "optional JSON file: the settings above and a `mapping` section"],
  ["LOG_LEVEL, LOG_FORMAT", "logs on stderr: level (default info), json or text (default json)"],
  [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTLP/HTTP collector for traces, e.g. http://otel-collector:4318 (default: no export; the other OTEL_* variables apply)"
  ],
  ["METRICS_LISTEN", "writeback-server only: host:port serving Prometheus /metrics (default off)"]
]

/** Every setting, for `writeback --help`. */
export const settingsHelp: HelpDoc.HelpDoc = HelpDoc.blocks([
  HelpDoc.p(
    "dfo-writeback: writes identifiers from the Portal LDAP back to DFØ's employee API. " +
      "Settings come from the environment:"
  ),
  HelpDoc.descriptionList(
    Arr.map(settings, ([name, meaning]): [Span.Span, HelpDoc.HelpDoc] => [
      Span.text(name),
      HelpDoc.p(meaning)
    ])
  )
])
