export * as Lease from "./Lease.js"
export * as LeaseConfig from "./LeaseConfig.js"
export * as LeaseError from "./LeaseError.js"
export * as LeaseSettings from "./LeaseSettings.js"
