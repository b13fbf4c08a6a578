export * as PortalDirectory from "./PortalDirectory.js"
export * as LdapMetrics from "./LdapMetrics.js"
