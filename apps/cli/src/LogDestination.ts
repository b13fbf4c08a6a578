import type { LogFormat } from "@dfo-writeback/edge"
import { Either, Option } from "effect"
import * as LogFile from "./LogFile.js"
import type * as Output from "./Output.js"

/** Where log lines go, and the line that says so when the person did not choose. */
export interface LogDestination {
  readonly options: LogFormat.Options
  readonly close: () => void
  /** The file and why it could not be written, once it could not. */
  readonly lost: () => { readonly file: string; readonly reason: string } | undefined
  readonly hint: string | undefined
}

const toFile = (
  file: string,
  logging: Omit<LogFormat.Options, "write">,
  created: boolean
): Either.Either<LogDestination, string> =>
  Either.map(LogFile.open(file, created), (log) => ({
    options: { ...logging, write: log.write },
    close: log.close,
    lost: () => {
      const reason = log.failure()
      return reason === undefined ? undefined : { file, reason }
    },
    hint: created
      ? `writeback: the log, audit record included, is appended to ${file} (--log-file FILE to choose)`
      : undefined
  }))

/**
 * `--log-file`; else, when a person reads the human view on a terminal, the default file
 * (its scrollback is no record of what was sent to payroll, and JSON lines would tear the
 * view); else stderr, through the output so its lines do not tear the progress line.
 */
export const of = (
  flags: { readonly json: boolean; readonly logFile: Option.Option<string> },
  output: Output.Output,
  logging: Omit<LogFormat.Options, "write">
): Either.Either<LogDestination, string> =>
  Option.match(flags.logFile, {
    onSome: (file) => toFile(file, logging, false),
    onNone: () =>
      !flags.json && process.stderr.isTTY === true
        ? toFile(LogFile.defaultFile(process.env), logging, true)
        : Either.right({
            options: { ...logging, write: output.log },
            close: () => undefined,
            lost: () => undefined,
            hint: undefined
          })
  })
