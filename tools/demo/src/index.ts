export * as Scenario from "./Scenario.js"
