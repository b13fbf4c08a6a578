export * as BrokerTestbed from "./BrokerTestbed.js"
export * as Topology from "./Topology.js"
