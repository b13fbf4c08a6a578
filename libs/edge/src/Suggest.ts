/** "Did you mean" for a misspelt name: settings, mapping keys, a command's choices. */
export { suggest, unknownName } from "./internal/suggest.js"
