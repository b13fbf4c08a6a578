import { type ConfigSource, LogFormat } from "@dfo-writeback/edge"

/** What a command prints on stderr when the configuration is invalid: every problem, one a line. */
export const text = (error: ConfigSource.ConfigFileError): string =>
  `writeback: invalid configuration:\n${error.problems
    .map((problem) => `  ${LogFormat.escapeControl(problem)}`)
    .join("\n")}`
