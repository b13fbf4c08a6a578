import {
  countResult,
  countSkip,
  emptyCounts,
  type RawWritebackRequest,
  type RunError,
  RunSummary,
  type SkipCounts,
  type UserResult,
  validateRequest,
  type WritebackEvent
} from "@dfo-writeback/domain"
import { type ConfigSource, LogFormat } from "@dfo-writeback/edge"
import { type Plan, type PlanError, Writeback } from "@dfo-writeback/writeback"
import {
  Deferred,
  Effect,
  Either,
  Exit,
  Fiber,
  FiberId,
  Layer,
  LogLevel,
  Option,
  Stream
} from "effect"
import * as Delivery from "./Delivery.js"
import { ExitCode, exitCodeOf, exitCodeOfSummary } from "./ExitCode.js"
import { usage } from "./Help.js"
import * as LogFile from "./LogFile.js"
import * as Output from "./Output.js"

export interface RunFlags extends RawWritebackRequest {
  readonly json: boolean
  /** Logs go to this file (appended) instead of stderr. */
  readonly logFile: Option.Option<string>
}

/** What the configuration gives a run. */
export interface Loaded {
  /** Level and format of the logs (`LOG_LEVEL` or `--log-level`, `LOG_FORMAT`). */
  readonly logging: Omit<LogFormat.Options, "write">
  /** `SAP_TIMEOUT_MS`: how long a write in flight may still take after a signal. */
  readonly requestTimeoutMs: number
  /** The program over the real directory and DFØ; the logger is provided to it. */
  readonly services: Layer.Layer<Writeback.Service, RunError>
  /** The settings a plan is made with and checked against, and its maximum age. */
  readonly plan: Plan.Review
}

/** What ends a job before its summary: a run-level error or a refused plan file. */
export type JobError = RunError | PlanError.PlanRefused

/** One run of the program as a command does it: `run`, `plan` or `apply`. */
export interface Job {
  /** The output's shape and the log destination. */
  readonly flags: Pick<RunFlags, "json" | "logFile" | "processAll" | "logOnly">
  /**
   * The run's own output goes to stderr, so stdout carries only what `finish` writes
   * (`report --out -`).
   */
  readonly stdoutForFinish?: boolean
  /** The run's events, once the configuration is loaded. */
  readonly events: (
    writeback: Writeback.Shape,
    loaded: Loaded,
    options: Writeback.RunOptions
  ) => Stream.Stream<WritebackEvent, JobError>
  /**
   * After a run that ended with its summary and no signal (`plan` writes its file): a
   * problem is printed as one line, and the exit code is 2.
   */
  readonly finish?: (
    results: ReadonlyArray<UserResult>,
    summary: RunSummary,
    loaded: Loaded
  ) => Either.Either<void, string>
}

export interface RunDeps {
  readonly load: Effect.Effect<Loaded, ConfigSource.ConfigFileError>
  readonly encode: (event: WritebackEvent) => string
  /** Who runs the CLI (`Caller.of`): into the `audit` lines and `RunSummary.caller`. */
  readonly caller: string
}

/** Beyond `SAP_TIMEOUT_MS`: the answer's body and the result's bookkeeping. */
const stopMarginMs = 2_000

const signalExitCodes = { SIGINT: ExitCode.Interrupted, SIGTERM: ExitCode.Terminated } as const
type Signal = keyof typeof signalExitCodes

/** Where log lines go: a file, or stderr through the output so they do not tear its view. */
const logDestination = (
  flags: Pick<RunFlags, "json" | "logFile">,
  output: Output.Output,
  loaded: Loaded
): Either.Either<
  {
    readonly options: LogFormat.Options
    readonly close: () => void
    /** The file and why it could not be written, once it could not. */
    readonly lost: () => { readonly file: string; readonly reason: string } | undefined
  },
  string
> =>
  Option.match(flags.logFile, {
    onSome: (file) =>
      Either.map(LogFile.open(file), (log) => ({
        options: { ...loaded.logging, write: log.write },
        close: log.close,
        lost: () => {
          const reason = log.failure()
          return reason === undefined ? undefined : { file, reason }
        }
      })),
    onNone: () =>
      Either.right({
        // On a terminal the person reads the human view: only warnings and errors join it,
        // as text, so JSON lines never interleave with the results (`--log-file` for all).
        options:
          !flags.json && process.stderr.isTTY === true
            ? {
                format: "text" as const,
                level: LogLevel.greaterThan(loaded.logging.level, LogLevel.Warning)
                  ? loaded.logging.level
                  : LogLevel.Warning,
                write: output.log
              }
            : { ...loaded.logging, write: output.log },
        close: () => undefined,
        lost: () => undefined
      })
  })

/** What did not reach its destination: the log file, stdout. */
interface Lost {
  readonly log: { readonly file: string; readonly reason: string } | undefined
  readonly stdout: string | undefined
}

/** One line for each lost destination, the audit log last (it stopped the writes). */
const lostLines = (lost: Lost) => ({
  stdout:
    lost.stdout === undefined
      ? []
      : [`stdout could not be written: ${lost.stdout}; the run's results were lost`],
  log:
    lost.log === undefined
      ? []
      : [`audit log ${lost.log.file} could not be written: ${lost.log.reason}`]
})

/**
 * What a run that ended with its summary still owes: the lines that say why it did not
 * end well (the last is the main reason) and its exit code. Lost output outranks a
 * finished run: its results or its audit record are not where they should be.
 */
const ending = (
  summary: RunSummary,
  lost: Lost
): { readonly code: ExitCode; readonly lines: ReadonlyArray<string> } => {
  const { stdout, log } = lostLines(lost)
  const code = exitCodeOfSummary(summary)
  return {
    code:
      code === ExitCode.Aborted || (lost.stdout === undefined && lost.log === undefined)
        ? code
        : ExitCode.RunFailed,
    lines: [...stdout, ...(summary.aborted ? [`run aborted: ${summary.abortReason}`] : []), ...log]
  }
}

/**
 * `writeback run`: validates, runs, renders, and answers with CONTRACT §7's exit code.
 * SIGINT or SIGTERM stops the run from starting users; writes in flight get
 * `SAP_TIMEOUT_MS` to finish, then are cut; a second signal cuts them at once. The summary
 * (aborted, `interrupted`) is printed either way, and the exit code is 130 or 143.
 */
export const runWriteback = (flags: RunFlags, deps: RunDeps): Effect.Effect<ExitCode> =>
  Effect.suspend(() => {
    const request = validateRequest(flags)
    if (Either.isLeft(request)) {
      process.stderr.write(
        `writeback run: ${LogFormat.escapeControl(request.left.problems.join("; "))}\n${usage}\n`
      )
      return Effect.succeed(ExitCode.Usage)
    }
    return runJob(
      { flags, events: (writeback, _loaded, options) => writeback.run(request.right, options) },
      deps
    )
  })

/** Runs one job: configuration, logging, signals, output and CONTRACT §7's exit code. */
export const runJob = (job: Job, deps: RunDeps): Effect.Effect<ExitCode> =>
  Effect.gen(function* () {
    const flags = job.flags
    const streams = {
      out: job.stdoutForFinish === true ? process.stderr : process.stdout,
      err: process.stderr
    }
    const output = flags.json
      ? Output.json(streams, deps.encode)
      : Output.human(streams, () => flags.processAll)

    const loaded = yield* Effect.either(deps.load)
    if (Either.isLeft(loaded)) {
      output.error(
        `writeback: invalid configuration:\n${loaded.left.problems
          .map((problem) => `  ${LogFormat.escapeControl(problem)}`)
          .join("\n")}`
      )
      return ExitCode.RunFailed
    }
    const logging = logDestination(flags, output, loaded.right)
    if (Either.isLeft(logging)) {
      output.error(`writeback: ${LogFormat.escapeControl(logging.left)}`)
      return ExitCode.RunFailed
    }

    const stop = yield* Deferred.make<void>()
    const stdout = Delivery.watch(streams.out)
    // Watched, never released: a failed stderr is no uncaught error (Output.log reports it
    // to the logger, and the last `writeback:` lines may still fail).
    Delivery.watch(streams.err)
    let signal: Signal | undefined
    let summarized = false
    let runId = ""
    const startedAt = Date.now()
    let counts = emptyCounts
    let skips: SkipCounts = {}
    const results: Array<UserResult> = []
    let summary: RunSummary | undefined
    const program = Effect.gen(function* () {
      const writeback = yield* Writeback.Service
      yield* Stream.runForEach(
        job.events(writeback, loaded.right, { stop: Deferred.await(stop), caller: deps.caller }),
        (event) =>
          Effect.sync(() => {
            output.event(event)
            switch (event._tag) {
              case "RunStarted":
                runId = event.runId
                break
              case "UserResult":
                results.push(event)
                counts = countResult(counts, event)
                skips = countSkip(skips, event)
                break
              case "RunSummary":
                summary = event
                summarized = true
                break
            }
          })
      )
    })

    const fiber = yield* program.pipe(
      Effect.provide(
        loaded.right.services.pipe(Layer.provideMerge(LogFormat.layer(logging.right.options)))
      ),
      Effect.either,
      Effect.fork
    )

    let forceTimer: ReturnType<typeof setTimeout> | undefined
    const cut = () => fiber.unsafeInterruptAsFork(FiberId.none)
    const onSignal = (name: Signal) => () => {
      if (signal !== undefined) return cut()
      signal = name
      Deferred.unsafeDone(stop, Exit.void)
      forceTimer = setTimeout(cut, loaded.right.requestTimeoutMs + stopMarginMs)
      forceTimer.unref()
    }
    const onInt = onSignal("SIGINT")
    const onTerm = onSignal("SIGTERM")
    process.on("SIGINT", onInt)
    process.on("SIGTERM", onTerm)

    const exit = yield* Fiber.await(fiber).pipe(
      Effect.ensuring(
        Effect.sync(() => {
          process.removeListener("SIGINT", onInt)
          process.removeListener("SIGTERM", onTerm)
          if (forceTimer !== undefined) clearTimeout(forceTimer)
          logging.right.close()
        })
      )
    )

    if (Exit.isInterrupted(exit) && !summarized) {
      // Cut short: the program sent no summary, so this one says what is known.
      output.event(
        new RunSummary({
          runId,
          ...counts,
          skippedByReason: skips,
          dfoRequests: 0,
          dfoRetries: 0,
          dfoRateLimited: 0,
          logOnly: flags.logOnly,
          aborted: true,
          abortReason:
            "interrupted: writes still in flight were cut; their outcome is unknown " +
            "(run again: only what still differs is written)",
          durationMs: Date.now() - startedAt,
          caller: deps.caller
        })
      )
    }
    output.done()
    const say = (line: string) => output.error(`writeback: ${LogFormat.escapeControl(line)}`)
    const lost = Effect.map(stdout.flushed, () => {
      stdout.release()
      return { log: logging.right.lost(), stdout: stdout.failure() }
    })
    if (signal !== undefined) {
      const { stdout: out, log } = lostLines(yield* lost)
      for (const line of [...out, ...log]) say(line)
      return signalExitCodes[signal]
    }
    if (Exit.isFailure(exit)) return ExitCode.RunFailed
    if (Either.isLeft(exit.value)) {
      // The last line on stderr says why the run failed, starting with its code.
      say(exit.value.left.message)
      return exitCodeOf(exit.value.left)
    }
    if (summary === undefined) return ExitCode.RunFailed
    if (job.finish !== undefined && !summary.aborted) {
      const finished = job.finish(results, summary, loaded.right)
      if (Either.isLeft(finished)) {
        say(finished.left)
        return ExitCode.RunFailed
      }
    }
    // The last line on stderr says why the run did not end well.
    const { code, lines } = ending(summary, yield* lost)
    lines.forEach(say)
    return code
  })
