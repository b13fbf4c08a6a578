export * as PortalDirectory from "./PortalDirectory.js"
