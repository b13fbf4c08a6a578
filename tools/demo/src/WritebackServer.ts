/**
 * The built `writeback-server` as the demo runs it: text logs, kept so the demo can show an
 * operator the lines that matter, and ready once it says it listens. It lives as long as its
 * scope; `stop` is the orderly SIGTERM an operator's service manager sends.
 */
import { fileURLToPath } from "node:url"
import { ChildProcess, Poll } from "@dfo-writeback/testkit"
import type { CommandExecutor } from "@effect/platform"
import { Effect, Option, type Scope } from "effect"

const bin = fileURLToPath(new URL("../../../apps/server/bin/writeback-server.js", import.meta.url))

/** A running server. */
export interface Server {
  /** `127.0.0.1:<port>`, from its `listening` line. */
  readonly address: string
  /** How many log lines it has written so far: a mark to wait for lines after. */
  readonly lineCount: Effect.Effect<number>
  /** The first line after the first `from` lines that `pattern` matches, once it is written. */
  readonly waitForLine: (
    pattern: RegExp,
    what: string,
    from?: number
  ) => Effect.Effect<string, Poll.PollTimeout>
  /** Every line after the first `from` that `pattern` matches. */
  readonly linesMatching: (pattern: RegExp, from?: number) => Effect.Effect<ReadonlyArray<string>>
  /** SIGTERM, and how it ended: `exit 0` after an orderly shutdown. */
  readonly stop: Effect.Effect<string>
}

/** `env` is all it sees (PATH aside): the demo's own settings never leak in. */
export const scoped = (
  env: Readonly<Record<string, string>>
): Effect.Effect<
  Server,
  ChildProcess.ChildProcessError,
  Scope.Scope | CommandExecutor.CommandExecutor
> =>
  Effect.gen(function* () {
    const child = yield* ChildProcess.start(process.execPath, [bin], {
      env: { ...env, LOG_FORMAT: "text" },
      inheritEnv: false,
      readyWhen: (line) => /\bINFO +listening\b.* address=(\S+)/.exec(line)?.[1],
      readyTimeout: "30 seconds",
      stopGrace: "15 seconds"
    })
    // Only whole lines: the last one may still be being written.
    const lines = Effect.map(child.output, ({ stdout }) => stdout.split("\n").slice(0, -1))
    const linesMatching = (pattern: RegExp, from = 0) =>
      Effect.map(lines, (all) => all.slice(from).filter((line) => pattern.test(line)))
    return {
      address: child.ready,
      lineCount: Effect.map(lines, (all) => all.length),
      waitForLine: (pattern, what, from = 0) =>
        Poll.some(
          Effect.map(linesMatching(pattern, from), (found) => Option.fromNullable(found[0])),
          { what, timeout: "30 seconds", interval: "5 millis" }
        ),
      linesMatching,
      stop: Effect.zipRight(
        child.signal("SIGTERM"),
        Effect.map(child.exit, (end) =>
          end.code === null ? `ended by ${end.signal ?? "a signal"}` : `exit ${end.code}`
        )
      )
    } satisfies Server
  })
