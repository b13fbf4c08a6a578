export * as ChildProcess from "./ChildProcess.js"
export * as Poll from "./Poll.js"
