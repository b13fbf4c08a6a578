import { Either } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

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

/**
 * Where a run on a terminal without `--log-file` keeps its log, the `audit` record with it:
 * the terminal's scrollback is no record. `$XDG_STATE_HOME/dfo-writeback/writeback.log`,
 * else under `~/.local/state`.
 */
export const defaultFile = (env: Readonly<Record<string, string | undefined>>): string =>
  path.join(
    env["XDG_STATE_HOME"] || path.join(env["HOME"] || os.homedir(), ".local", "state"),
    "dfo-writeback",
    "writeback.log"
  )

/**
 * Opens `file` for appending, or says why it cannot be. `created`: the default file, made
 * with its directory, readable by its owner only (its lines hold people's values).
 */
export const open = (file: string, created = false): Either.Either<LogFile, string> =>
  Either.map(
    Either.try({
      try: () => {
        if (created) fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
        return fs.openSync(file, "a", created ? 0o600 : 0o666)
      },
      catch: (cause) =>
        `cannot open ${created ? "the log file" : "--log-file"} ${file}: ${reasonOf(cause)}` +
        (created ? " (give --log-file FILE)" : "")
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
