export * as DfoEmployees from "./DfoEmployees.js"
export * as RequestTally from "./RequestTally.js"
export * as HttpProxy from "./HttpProxy.js"
export * as DfoMetrics from "./DfoMetrics.js"
