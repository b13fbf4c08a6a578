import { Either } from "effect"
import * as fs from "node:fs"

/**
 * `--log-file`: every line appended whole, or not at all as far as the run is concerned.
 * The first failure is kept and every later line refused, so a disk that fills mid-run
 * cannot let a later, shorter audit line through after an earlier one was lost.
 */
export interface LogFile {
  readonly file: string
  /** Appends `line` and a newline; throws when it could not be written whole. */
  readonly write: (line: string) => void
  /** Why the file could not be written, once it could not. */
  readonly failure: () => string | undefined
  readonly close: () => void
}

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** `fs.writeSync` may write part of a buffer and return: a line is written when all of it is. */
export const writeAll = (fd: number, data: Uint8Array): void => {
  let offset = 0
  while (offset < data.length) {
    const written = fs.writeSync(fd, data, offset)
    if (written <= 0) throw new Error(`wrote ${offset} of ${data.length} bytes`)
    offset += written
  }
}

/** Opens `file` for appending, or says why it cannot be. */
export const open = (file: string): Either.Either<LogFile, string> =>
  Either.map(
    Either.try({
      try: () => fs.openSync(file, "a"),
      catch: (cause) => `cannot open --log-file ${file}: ${reasonOf(cause)}`
    }),
    (fd) => {
      let failure: string | undefined
      return {
        file,
        write: (line) => {
          if (failure !== undefined) throw new Error(failure)
          try {
            writeAll(fd, Buffer.from(`${line}\n`))
          } catch (cause) {
            failure = reasonOf(cause)
            throw cause
          }
        },
        failure: () => failure,
        close: () => {
          try {
            fs.closeSync(fd)
          } catch (cause) {
            // Some file systems report a failed write only when the file is closed.
            failure ??= reasonOf(cause)
          }
        }
      }
    }
  )
