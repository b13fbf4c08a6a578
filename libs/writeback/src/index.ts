export * as Writeback from "./Writeback.js"
export * as WritebackConfig from "./WritebackConfig.js"
export * as Plan from "./Plan.js"
export * as PlanError from "./PlanError.js"
