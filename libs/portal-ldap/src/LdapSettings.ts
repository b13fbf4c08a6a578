import { Settings } from "@dfo-writeback/edge"

const { setting } = Settings

/** The `PORTAL_LDAP_*` settings (CONTRACT §6), each declared once: `PortalDirectory.config` reads them. */
export const settings = {
  url: setting(
    "PORTAL_LDAP_URL",
    "text",
    undefined,
    "ldap://host:port or ldaps://host:port (required)"
  ),
  bindDn: setting(
    "PORTAL_LDAP_BIND_DN",
    "text",
    undefined,
    "the read-only service account (required)"
  ),
  bindPassword: setting(
    "PORTAL_LDAP_BIND_PASSWORD",
    "text",
    undefined,
    "its password (required)",
    true
  ),
  baseDn: setting("PORTAL_LDAP_BASE_DN", "text", "ou=Accounts,dc=meta", "search base"),
  startTls: setting("PORTAL_LDAP_STARTTLS", "boolean", false, "StartTLS on ldap://"),
  caFile: setting("PORTAL_LDAP_CA_FILE", "path", undefined, "PEM CA bundle trusted for TLS"),
  pageSize: setting("PORTAL_LDAP_PAGE_SIZE", "integer", 500, "paged-search page size"),
  connectTimeoutMs: setting(
    "PORTAL_LDAP_CONNECT_TIMEOUT_MS",
    "integer",
    5000,
    "TCP connect and TLS handshake"
  ),
  timeoutMs: setting("PORTAL_LDAP_TIMEOUT_MS", "integer", 30_000, "each LDAP operation")
}
