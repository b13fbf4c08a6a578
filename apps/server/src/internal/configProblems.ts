import { ConfigError } from "effect"

/**
 * Every problem of a configuration error, one entry each, without the repeats that a
 * fallback source (`WRITEBACK_CONFIG` behind the environment) adds.
 */
export const configProblems = (error: ConfigError.ConfigError): ReadonlyArray<string> => {
  const line = (_: unknown, path: ReadonlyArray<string>, message: string) => [
    path.length === 0 ? message : `${path.join("_")}: ${message}`
  ]
  const all = ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left: ReadonlyArray<string>, right: ReadonlyArray<string>) => [...left, ...right],
    orCase: (_, left: ReadonlyArray<string>, right: ReadonlyArray<string>) => [...left, ...right],
    invalidDataCase: line,
    missingDataCase: (_, path) => [`${path.join("_")}: not set`],
    sourceUnavailableCase: line,
    unsupportedCase: line
  })
  return [...new Set(all)]
}
