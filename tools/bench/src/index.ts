export * as Plan from "./Plan.js"
export * as Report from "./Report.js"
