import type { ChildProcess as NodeChildProcess } from "node:child_process"
import { fileURLToPath } from "node:url"
import { DfoEmulator } from "@dfo-writeback/dfo-emulator"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { ChildProcess } from "@dfo-writeback/testkit"
import { type Duration, Effect } from "effect"

/** The built CLI, run as an operator runs it. */
export const bin = fileURLToPath(new URL("../bin/writeback.js", import.meta.url))

export interface Finished {
  readonly code: number | null
  /** The signal that ended the process, `null` when it exited. */
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** The part of a Node child process the tests use: `kill` and whether it was sent. */
export type Child = Pick<NodeChildProcess, "kill" | "killed">

export interface Started {
  readonly child: Child
  readonly finished: Promise<Finished>
  /** What the process has written to stderr so far ("" before it started). */
  readonly stderr: () => Promise<string>
}

/**
 * Starts `writeback` with exactly `env` (plus PATH), so no setting leaks in from the
 * machine running the tests.
 */
export const startCli = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>
): Started => {
  // Signals sent before the process has started wait for its pid.
  let pid: number | undefined
  let ended = false
  let killed = false
  const pending: Array<NodeJS.Signals | number> = []
  let output: Effect.Effect<{ readonly stderr: string }> = Effect.succeed({ stderr: "" })
  const send = (signal: NodeJS.Signals | number) => {
    try {
      if (pid !== undefined) process.kill(pid, signal)
      else pending.push(signal)
      killed = true
      return true
    } catch {
      return false
    }
  }
  const finished = Effect.gen(function* () {
    const child = yield* ChildProcess.start(process.execPath, [bin, ...args], {
      env,
      inheritEnv: false
    })
    pid = child.pid
    output = child.output
    for (const signal of pending.splice(0)) send(signal)
    const end = yield* child.exit
    ended = true
    return { ...end, signal: end.signal as NodeJS.Signals | null }
  }).pipe(Effect.scoped, Effect.provide(ChildProcess.layer), Effect.runPromise)
  const child: Child = {
    get killed() {
      return killed
    },
    kill: (signal: NodeJS.Signals | number = "SIGTERM") => !ended && send(signal)
  }
  return {
    child,
    finished,
    stderr: () =>
      Effect.runPromise(
        Effect.map(
          Effect.suspend(() => output),
          (o) => o.stderr
        )
      )
  }
}

/** Runs `writeback` to its end; with `timeout`, a process still running then is an error. */
export const runCli = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>,
  timeout?: Duration.DurationInput
): Promise<Finished> =>
  ChildProcess.run(process.execPath, [bin, ...args], {
    env,
    inheritEnv: false,
    ...(timeout === undefined ? {} : { timeout })
  }).pipe(
    Effect.map((end) => ({ ...end, signal: end.signal as NodeJS.Signals | null })),
    Effect.provide(ChildProcess.layer),
    Effect.runPromise
  )

/** `--json` output: one object a line. */
export const jsonLines = (text: string): ReadonlyArray<Record<string, unknown>> =>
  text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>)

/** The JSON log lines saying `message` among a process's stderr (its other lines skipped). */
export const logLinesSaying = (
  stderr: string,
  message: string
): ReadonlyArray<Record<string, unknown>> =>
  jsonLines(
    stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .join("\n")
  ).filter((line) => line["message"] === message)

/**
 * Runs `writeback` with its stdout (`1`) or stderr (`2`) sent to `file` (`/dev/full`) by the
 * shell, as an operator's redirection does; that stream of the result is empty.
 */
export const runCliTo = (
  fd: 1 | 2,
  file: string,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>
): Promise<Finished> =>
  ChildProcess.run(
    "/bin/sh",
    [
      "-c",
      'fd="$1"; f="$2"; shift 2; if [ "$fd" = 1 ]; then exec "$@" >"$f"; else exec "$@" 2>"$f"; fi',
      "sh",
      String(fd),
      file,
      process.execPath,
      bin,
      ...args
    ],
    { env, inheritEnv: false }
  ).pipe(
    Effect.map((end) => ({ ...end, signal: end.signal as NodeJS.Signals | null })),
    Effect.provide(ChildProcess.layer),
    Effect.runPromise
  )

/**
 * The CLI's environment over a suite's slapd and emulator (reset first): no rate limit, no
 * retries, JSON logs; `extra` adds or overrides settings.
 */
export const backendEnvironment = (extra: Readonly<Record<string, string>> = {}) =>
  Effect.gen(function* () {
    const testbed = yield* LdapTestbed.LdapTestbed
    const emulator = yield* DfoEmulator
    emulator.reset()
    return {
      emulator,
      env: {
        ...testbed.environment,
        ...emulator.environment,
        SAP_MAX_RPS: "100000",
        SAP_MAX_RETRIES: "0",
        LOG_FORMAT: "json",
        ...extra
      } as Record<string, string>
    }
  })
