import { Either } from "effect"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { writeAll } from "./LogFile.js"

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const exists = (file: string) =>
  `${file} already exists; give another --out, or --force to replace it`

/** Why `plan --out FILE` (or `report --out FILE`) may not start: the file is there and `--force` was not given. */
export const refusal = (file: string, force: boolean): string | undefined =>
  !force && fs.existsSync(file) ? exists(file) : undefined

/**
 * Writes `text` to `file` whole or not at all: a temporary file beside it, flushed to the
 * disk, then moved into place (renamed with `force`; otherwise linked, which fails when
 * `file` appeared meanwhile). `what` names the file in a failure. A full disk leaves no partial plan and no earlier plan
 * replaced; the temporary file is removed on every failure.
 */
export const write = (
  file: string,
  text: string,
  force: boolean,
  what = "the plan"
): Either.Either<void, string> => {
  const dir = path.dirname(file)
  const temporary = path.join(
    dir,
    `.${path.basename(file)}.${crypto.randomBytes(6).toString("hex")}.tmp`
  )
  let created = false
  return Either.try({
    try: () => {
      const fd = fs.openSync(temporary, "wx", 0o600)
      created = true
      try {
        writeAll(fd, Buffer.from(text))
        fs.fsyncSync(fd)
      } finally {
        fs.closeSync(fd)
      }
      if (force) fs.renameSync(temporary, file)
      else {
        fs.linkSync(temporary, file)
        fs.unlinkSync(temporary)
      }
      created = false
      // The new name must survive a crash too.
      const dirFd = fs.openSync(dir, "r")
      try {
        fs.fsyncSync(dirFd)
      } finally {
        fs.closeSync(dirFd)
      }
    },
    catch: (cause) => {
      // Once the temporary file exists, EEXIST can only come from `file` itself.
      const taken = created && (cause as NodeJS.ErrnoException).code === "EEXIST"
      if (created) fs.rmSync(temporary, { force: true })
      return taken
        ? `cannot write ${what}: ${exists(file)}`
        : `cannot write ${what} to ${file}: ${reasonOf(cause)}`
    }
  })
}

/** Writes `text` to stdout whole (`--out -`, `--review -`), or says why not. */
export const writeStdout = (text: string, what: string): Either.Either<void, string> =>
  Either.try({
    try: () => writeAll(1, Buffer.from(text)),
    catch: (cause) => `cannot write ${what} to stdout: ${reasonOf(cause)}`
  })
