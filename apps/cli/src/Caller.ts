/**
 * Who runs the CLI (CONTRACT §7): the operating-system user, for the `audit` lines and
 * `RunSummary.caller`, as a token's name is for the server. Behind `sudo` the person is
 * `SUDO_USER`, not `root`.
 */
import { LogFormat } from "@dfo-writeback/edge"
import * as os from "node:os"

/** Longer names are cut: the value comes from the environment, which anyone may set. */
export const maxLength = 64

const clean = (name: string | undefined): string | undefined => {
  const trimmed = name?.trim() ?? ""
  return trimmed === "" ? undefined : LogFormat.escapeControl(LogFormat.clip(trimmed, maxLength))
}

const processUser = (): string | undefined => {
  try {
    return os.userInfo().username
  } catch {
    // A uid without a passwd entry (a container's arbitrary uid) throws.
    return undefined
  }
}

/**
 * `SUDO_USER` when set, else the process's user (`os.userInfo()`), else `USER`, else
 * `uid:<n>`; clipped and with control characters escaped, so no value breaks a log line.
 */
export const of = (env: Readonly<Record<string, string | undefined>>): string =>
  clean(env["SUDO_USER"]) ??
  clean(processUser()) ??
  clean(env["USER"]) ??
  `uid:${typeof process.getuid === "function" ? process.getuid() : "unknown"}`
