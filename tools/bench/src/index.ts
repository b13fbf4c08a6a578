export * as Plan from "./Plan.js"
export * as Render from "./Render.js"
export * as Report from "./Report.js"
export * as Targets from "./Targets.js"
