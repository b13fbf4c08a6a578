export * from "./DfoEmulator.js"
export * from "./Emulator.js"
export * from "./Employee.js"
