export * as ChildProcess from "./ChildProcess.js"
export * as Poll from "./Poll.js"
export * as Prometheus from "./Prometheus.js"
export * as ServiceLinks from "./ServiceLinks.js"
