export * as BrokerTestbed from "./BrokerTestbed.js"
