import { Settings } from "@dfo-writeback/edge"

const { setting } = Settings

/**
 * The DFØ client's settings (CONTRACT §6), each declared once: `DfoEmployees.config` and
 * `HttpProxy.config` read them, and `DfoEmployees.make` falls back to their defaults.
 */
export const settings = {
  baseUrl: setting(
    "SAP_ANSATT_BASE_URL",
    "text",
    undefined,
    "DFØ employee collection URL (required)"
  ),
  apiKey: setting(
    "SAP_API_KEY",
    "text",
    undefined,
    "IntArk/Gravitee key, sent as X-Gravitee-Api-Key (required)",
    true
  ),
  updateMethod: setting(
    "SAP_UPDATE_METHOD",
    "text",
    "PUT",
    "PUT (DFØ's API) or PATCH (only for a gateway that lists it): the method of a write"
  ),
  maxRps: setting("SAP_MAX_RPS", "number", 10, "client-side request rate limit towards DFØ"),
  timeoutMs: setting(
    "SAP_TIMEOUT_MS",
    "integer",
    10_000,
    "each DFØ request; the list's body may take longer, but never pause for longer"
  ),
  maxRetries: setting(
    "SAP_MAX_RETRIES",
    "integer",
    4,
    "retries of 429/502/503/504, timeouts and resets"
  ),
  retryBaseMs: setting(
    "SAP_RETRY_BASE_MS",
    "integer",
    200,
    "first retry delay, doubled each time, jittered"
  ),
  maxListBytes: setting(
    "SAP_MAX_LIST_BYTES",
    "integer",
    536_870_912,
    "largest GET {base} body accepted"
  ),
  httpsProxy: setting(
    "HTTPS_PROXY",
    "text",
    undefined,
    "egress proxy for DFØ requests over https (also https_proxy); LDAP is reached directly"
  ),
  httpProxy: setting("HTTP_PROXY", "text", undefined, "egress proxy for DFØ requests over http"),
  noProxy: setting("NO_PROXY", "text", undefined, "hosts reached without the proxy")
}
