export * as DfoEmployees from "./DfoEmployees.js"
