export * as PortalDirectory from "./PortalDirectory.js"
export * as LdapMetrics from "./LdapMetrics.js"
export * as LdapSettings from "./LdapSettings.js"
