export * from "./DfoEmployees.js"
