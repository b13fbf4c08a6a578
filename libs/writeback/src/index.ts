export * as ConfigSource from "./ConfigSource.js"
export * as LogFormat from "./LogFormat.js"
export * as Writeback from "./Writeback.js"
export * as WritebackConfig from "./WritebackConfig.js"
