/**
 * Child processes for tests and tools, on `@effect/platform`'s `Command`: `run` one to its
 * end and read what it printed, or `start` one for the length of a scope and wait until it
 * prints that it is ready. A started process never outlives its scope: SIGTERM to its
 * process group, then SIGKILL when it has not ended within `stopGrace`.
 */
import { Command, type CommandExecutor } from "@effect/platform"
import { NodeCommandExecutor, NodeFileSystem } from "@effect/platform-node"
import {
  Deferred,
  Duration,
  Effect,
  Fiber,
  Layer,
  Option,
  Ref,
  Schema,
  type Scope,
  Stream
} from "effect"

/** The `CommandExecutor` these functions need, for Node. */
export const layer: Layer.Layer<CommandExecutor.CommandExecutor> = NodeCommandExecutor.layer.pipe(
  Layer.provide(NodeFileSystem.layer)
)

/** A child could not be started, did not get ready, ran past its time, or failed (`runOk`). */
export class ChildProcessError extends Schema.TaggedError<ChildProcessError>()(
  "ChildProcessError",
  {
    command: Schema.String,
    reason: Schema.Literal("spawn", "not-ready", "timeout", "failed"),
    detail: Schema.String,
    /** The end of what the child printed, so a failure explains itself. */
    output: Schema.String
  }
) {
  override get message() {
    const output = this.output.trim()
    return `${this.command}: ${this.detail}${output === "" ? "" : `\n${output}`}`
  }
}

export interface Options {
  /** Added to this process's environment, or with `inheritEnv: false` all of it but PATH. */
  readonly env?: Readonly<Record<string, string>>
  /** `false`: the child sees exactly `env` plus PATH, so no setting leaks in. Default `true`. */
  readonly inheritEnv?: boolean
  readonly cwd?: string
  /** `inherit` passes the child's stderr through instead of keeping it. Default `pipe`. */
  readonly stderr?: "pipe" | "inherit"
  /** How long the child may take to end after SIGTERM before SIGKILL. Default 10 s. */
  readonly stopGrace?: Duration.DurationInput
  /** Characters of stdout and of stderr kept (the last ones). Default 4 MiB each. */
  readonly keep?: number
}

/** How a child ended and what it printed. `code` is `null` when a signal ended it. */
export interface Output {
  readonly code: number | null
  readonly signal: string | null
  readonly stdout: string
  readonly stderr: string
}

/** A running child, alive until its scope closes. */
export interface Child<A> {
  readonly pid: number
  /** What `readyWhen` returned for the line that made the child ready. */
  readonly ready: A
  /** Lines the child has written to stdout so far (counted whether or not they are kept). */
  readonly stdoutLines: Effect.Effect<number>
  /** What it has printed so far (the last `keep` characters of each stream). */
  readonly output: Effect.Effect<{ readonly stdout: string; readonly stderr: string }>
  /** Waits for the child to end and for all its output. */
  readonly exit: Effect.Effect<Output>
  /** Sends `signal` to the child's process group without waiting for it to end. */
  readonly signal: (signal: NodeJS.Signals) => Effect.Effect<void>
}

export interface StartOptions<A> extends Options {
  /** Called with each stdout line until it returns a value: the child is ready. */
  readonly readyWhen?: (line: string) => A | undefined
  /** How long the child may take to get ready. Default 20 s. */
  readonly readyTimeout?: Duration.DurationInput
}

export interface RunOptions extends Options {
  /** SIGKILL and a `timeout` error when the child has not ended by then. Default none. */
  readonly timeout?: Duration.DurationInput
}

const defaultKeep = 4 * 1024 * 1024

const describe = (command: string, args: ReadonlyArray<string>) =>
  [command, ...args].map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part}'`)).join(" ")

/** A signal that ended the child, from the executor's error ("… signal: SIGTERM"). */
const signalOf = (error: unknown): string =>
  /signal: (\w+)/.exec(String(error))?.[1] ?? "unknown signal"

/** Sends a signal to the process group the executor made (`detached`), else to the child. */
const sendSignal = (pid: number, signal: NodeJS.Signals) =>
  Effect.sync(() => {
    try {
      process.kill(-pid, signal)
    } catch {
      try {
        process.kill(pid, signal)
      } catch {
        // Already gone.
      }
    }
  })

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Keeps the last `keep` characters of a growing text. */
const appendTail = (ref: Ref.Ref<string>, keep: number) => (chunk: string) =>
  Ref.update(ref, (text) => {
    const next = text + chunk
    return next.length > keep ? next.slice(next.length - keep) : next
  })

/**
 * Starts `command args` for the length of the scope. With `readyWhen`, returns once a stdout
 * line makes it return a value, and fails with `not-ready` when the child ends first or
 * `readyTimeout` passes.
 */
export const start = <A = undefined>(
  command: string,
  args: ReadonlyArray<string>,
  options: StartOptions<A> = {}
): Effect.Effect<Child<A>, ChildProcessError, CommandExecutor.CommandExecutor | Scope.Scope> =>
  Effect.gen(function* () {
    const name = describe(command, args)
    const keep = options.keep ?? defaultKeep
    const env =
      options.inheritEnv === false
        ? { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...options.env }
        : (options.env ?? {})
    let spec = Command.make(command, ...args).pipe(
      Command.env(env, { extendEnv: options.inheritEnv !== false }),
      Command.stdin("pipe"),
      Command.stderr(options.stderr ?? "pipe")
    )
    if (options.cwd !== undefined) spec = Command.workingDirectory(spec, options.cwd)

    const stdout = yield* Ref.make("")
    const stderr = yield* Ref.make("")
    const lines = yield* Ref.make(0)
    const ready = yield* Deferred.make<A>()
    const ended = yield* Deferred.make<{ code: number | null; signal: string | null }>()
    const output = Effect.all({ stdout: Ref.get(stdout), stderr: Ref.get(stderr) })

    const proc = yield* Command.start(spec).pipe(
      Effect.mapError(
        (error) =>
          new ChildProcessError({
            command: name,
            reason: "spawn",
            detail: String(error),
            output: ""
          })
      )
    )
    const pid = Number(proc.pid)
    // Nothing to read: end stdin at once, as an ignored stdin would.
    yield* Stream.run(Stream.empty, proc.stdin).pipe(Effect.ignore)

    yield* proc.exitCode.pipe(
      Effect.map((code) => ({ code: Number(code), signal: null })),
      Effect.catchAll((error) => Effect.succeed({ code: null, signal: signalOf(error) })),
      Effect.flatMap((exit) => Deferred.succeed(ended, exit)),
      Effect.forkScoped
    )
    const readyWhen = options.readyWhen
    const stdoutDone = yield* proc.stdout.pipe(
      Stream.decodeText(),
      Stream.tap(appendTail(stdout, keep)),
      Stream.splitLines,
      Stream.runForEach((line) =>
        Effect.gen(function* () {
          yield* Ref.update(lines, (n) => n + 1)
          if (readyWhen === undefined || (yield* Deferred.isDone(ready))) return
          const value = readyWhen(line)
          if (value !== undefined) yield* Deferred.succeed(ready, value)
        })
      ),
      Effect.ignore,
      Effect.forkScoped
    )
    const stderrDone =
      options.stderr === "inherit"
        ? undefined
        : yield* proc.stderr.pipe(
            Stream.decodeText(),
            Stream.runForEach(appendTail(stderr, keep)),
            Effect.ignore,
            Effect.forkScoped
          )

    // Added after the fibers above, so it runs before they are interrupted and before the
    // executor's own release (last added, first run): SIGTERM, then SIGKILL after the
    // grace, so a child that ignores SIGTERM cannot hang the scope.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        if (yield* Deferred.isDone(ended)) return
        yield* sendSignal(pid, "SIGTERM")
        // Finalizers run uninterruptibly; the wait must be interruptible for the timeout.
        const stopped = yield* Deferred.await(ended).pipe(
          Effect.interruptible,
          Effect.timeout(options.stopGrace ?? Duration.seconds(10)),
          Effect.option
        )
        if (Option.isNone(stopped)) {
          yield* sendSignal(pid, "SIGKILL")
          yield* Deferred.await(ended)
        }
      })
    )

    const exit: Effect.Effect<Output> = Effect.gen(function* () {
      const end = yield* Deferred.await(ended)
      // `await`, not `join`: a reader interrupted by the scope's end still leaves an answer.
      yield* Fiber.await(stdoutDone)
      if (stderrDone !== undefined) yield* Fiber.await(stderrDone)
      return { ...end, ...(yield* output) }
    })

    const notReady = (detail: string) =>
      Effect.flatMap(
        output,
        (text) =>
          new ChildProcessError({
            command: name,
            reason: "not-ready",
            detail,
            output: `${text.stdout}${text.stderr}`.slice(-4000)
          })
      )
    const readyValue =
      readyWhen === undefined
        ? (undefined as A)
        : yield* Effect.raceFirst(
            Deferred.await(ready),
            Effect.flatMap(exit, (end) =>
              notReady(`ended (${end.signal ?? `exit code ${end.code}`}) before it was ready`)
            )
          ).pipe(
            Effect.timeout(options.readyTimeout ?? Duration.seconds(20)),
            Effect.catchTag("TimeoutException", () =>
              notReady(
                `not ready within ${Duration.format(options.readyTimeout ?? Duration.seconds(20))}`
              )
            )
          )

    return {
      pid,
      ready: readyValue,
      stdoutLines: Ref.get(lines),
      output,
      exit,
      signal: (signal) => sendSignal(pid, signal)
    } satisfies Child<A>
  })

/**
 * Runs `command args` to its end and returns how it ended and what it printed. A non-zero
 * exit is an answer, not an error; only failing to start or `timeout` are errors.
 */
export const run = (
  command: string,
  args: ReadonlyArray<string>,
  options: RunOptions = {}
): Effect.Effect<Output, ChildProcessError, CommandExecutor.CommandExecutor> =>
  Effect.scoped(
    Effect.gen(function* () {
      const child = yield* start(command, args, options)
      if (options.timeout === undefined) return yield* child.exit
      const timeout = options.timeout
      return yield* child.exit.pipe(
        Effect.timeout(timeout),
        Effect.catchTag("TimeoutException", () =>
          Effect.gen(function* () {
            yield* child.signal("SIGKILL")
            const end = yield* child.exit
            return yield* new ChildProcessError({
              command: describe(command, args),
              reason: "timeout",
              detail: `still running after ${Duration.format(timeout)}`,
              output: `${end.stdout}${end.stderr}`.slice(-4000)
            })
          })
        )
      )
    })
  )

/** `run`, with an exit other than 0 a `failed` error carrying the child's last lines. */
export const runOk = (
  command: string,
  args: ReadonlyArray<string>,
  options: RunOptions = {}
): Effect.Effect<Output, ChildProcessError, CommandExecutor.CommandExecutor> =>
  run(command, args, options).pipe(
    Effect.filterOrFail(
      (output) => output.code === 0,
      (output) =>
        new ChildProcessError({
          command: describe(command, args.slice(0, 3)),
          reason: "failed",
          detail: `failed (${output.signal ?? `exit code ${output.code}`})`,
          output: (output.stderr.trim() || output.stdout.trim()).split("\n").slice(-5).join("\n")
        })
    )
  )
