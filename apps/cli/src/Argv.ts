/**
 * What @effect/cli would otherwise handle itself and we do not want it to: its built-in
 * `--wizard` and `--completions` (an interactive prompt has no place in a payroll job) are
 * refused, `--log-level` is taken here so that it sets the level our own logger uses
 * (the built-in one sets a level our logger layer then overrides), and `--help` (`-h`) is
 * taken here so that the help is ours (`Help`), one screen instead of @effect/cli's pages.
 */

/** The levels `--log-level` and `LOG_LEVEL` accept. */
export const logLevels = ["trace", "debug", "info", "warn", "error", "fatal", "none"] as const

export interface Preflight {
  /** `process.argv` without what was taken out. */
  readonly argv: ReadonlyArray<string>
  readonly logLevel: string | undefined
  /** `--help` or `-h` was given (before any `--`). */
  readonly help: boolean
  readonly problems: ReadonlyArray<string>
}

const refused = new Set(["--wizard", "--completions"])

export const preflight = (argv: ReadonlyArray<string>): Preflight => {
  const [runtime = "node", script = "writeback", ...rest] = argv
  const kept: Array<string> = [runtime, script]
  const problems: Array<string> = []
  let logLevel: string | undefined
  let help = false
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? ""
    if (arg === "--") {
      kept.push(...rest.slice(i))
      break
    }
    if (arg === "--help" || arg === "-h") {
      help = true
      continue
    }
    const name = arg.split("=", 1)[0] ?? arg
    if (refused.has(name)) {
      problems.push(`unknown option ${name}`)
      if (name === "--completions" && !arg.includes("=")) i++
      continue
    }
    if (name === "--log-level") {
      const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : rest[++i]
      if (value === undefined || !(logLevels as ReadonlyArray<string>).includes(value)) {
        problems.push(`--log-level must be one of ${logLevels.join(", ")}`)
      } else logLevel = value
      continue
    }
    kept.push(arg)
  }
  return { argv: kept, logLevel, help, problems }
}
