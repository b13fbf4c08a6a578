export * as EventConsumer from "./EventConsumer.js"
export * as EventMessage from "./EventMessage.js"
export * as EventMetrics from "./EventMetrics.js"
export * as EventsConfig from "./EventsConfig.js"
