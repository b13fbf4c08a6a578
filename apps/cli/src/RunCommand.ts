import {
  type RawWritebackRequest,
  type RunError,
  type RunSummary,
  type UserResult,
  validateRequest,
  type WritebackEvent
} from "@dfo-writeback/domain"
import { type ConfigSource, LogFormat } from "@dfo-writeback/edge"
import type { Lease } from "@dfo-writeback/lease"
import { type Plan, type PlanError, Writeback } from "@dfo-writeback/writeback"
import {
  Chunk,
  Clock,
  Deferred,
  Duration,
  Effect,
  Either,
  Exit,
  Layer,
  Logger,
  MutableRef,
  type Option,
  Stream
} from "effect"
import * as CutShort from "./CutShort.js"
import * as CutWrites from "./CutWrites.js"
import * as Delivery from "./Delivery.js"
import { ExitCode, exitCodeOf, exitCodeOfSummary } from "./ExitCode.js"
import * as LogDestination from "./LogDestination.js"
import * as Output from "./Output.js"
import * as ProgressTicks from "./ProgressTicks.js"
import * as RunLease from "./RunLease.js"
import * as RunView from "./RunView.js"
import type * as Signals from "./Signals.js"
import * as Stopping from "./Stopping.js"

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
  /** `WRITEBACK_LEASE`'s lease (CONTRACT §8), or `Lease.none`. */
  readonly lease: Lease.Service
  /** `SAP_READ_ONLY`: nothing is written, so no lease is needed. */
  readonly readOnly: boolean
}

/** What ends a job before its summary: a run-level error, a refused plan file, the lease. */
export type JobError = RunError | PlanError.PlanRefused | RunLease.LeaseRefused

/** One run of the program as a command does it: `run`, `plan` or `apply`. */
export interface Job {
  /** The output's shape and the log destination. */
  readonly flags: Pick<RunFlags, "json" | "logFile" | "processAll" | "logOnly">
  /**
   * The run's own output goes to stderr, so stdout carries only what `finish` writes
   * (`report --out -`).
   */
  readonly stdoutForFinish?: boolean
  /**
   * A run that may write (`run --process-all`, `apply`): unless `--log-only` or
   * `SAP_READ_ONLY`, it holds the lease (CONTRACT §8). Dry runs (`plan`, `report`) need none.
   */
  readonly leased?: boolean
  /** The run's events, once the configuration is loaded. */
  readonly events: (
    writeback: Writeback.Shape,
    loaded: Loaded,
    options: Writeback.RunOptions
  ) => Stream.Stream<WritebackEvent, JobError>
  /** The results `finish` needs (`plan`: its writes); no other is kept. */
  readonly keep?: (result: UserResult) => boolean
  /**
   * After a run that ended with its summary and no signal (`plan` writes its file): a
   * problem is printed as one line, and the exit code is 2. `results`: those kept.
   */
  readonly finish?: (
    results: ReadonlyArray<UserResult>,
    summary: RunSummary,
    loaded: Loaded
  ) => Either.Either<void, string>
}

export interface RunDeps {
  readonly load: Effect.Effect<Loaded, ConfigSource.ConfigFileError>
  /** Events as canonical JSON for `--json`; loaded only when asked for. */
  readonly encoder: Effect.Effect<(event: WritebackEvent) => string>
  /** Who runs the CLI (`Caller.of`): into the `audit` lines and `RunSummary.caller`. */
  readonly caller: string
  /** The command's usage line, repeated after a usage error. */
  readonly usage: string
}

/** Beyond `SAP_TIMEOUT_MS`: the answer's body and the result's bookkeeping. */
const stopMarginMs = 2_000

const signalExitCodes: Record<Signals.Signal, ExitCode> = {
  SIGINT: ExitCode.Interrupted,
  SIGTERM: ExitCode.Terminated
}

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
        `writeback run: ${LogFormat.escapeControl(request.left.problems.join("; "))}\n${deps.usage}\n`
      )
      return Effect.succeed(ExitCode.Usage)
    }
    return runJob(
      {
        flags,
        leased: request.right._tag === "AllUsers",
        events: (writeback, _loaded, options) => writeback.run(request.right, options)
      },
      deps
    )
  })

/** What a job's program came to, for its exit code. */
interface Ended {
  readonly job: Job
  readonly loaded: Loaded
  readonly exit: Exit.Exit<Either.Either<RunView.View, JobError>>
  /** The view a cut run was summarized into (`CutShort`). */
  readonly ended: RunView.View | undefined
  readonly signal: Signals.Signal | undefined
  /** Waits for stdout to drain, then says what did not reach its destination. */
  readonly lost: Effect.Effect<Lost>
  readonly output: Output.Output
}

/**
 * CONTRACT §7's exit code of a job whose program has ended, with the lines that say why
 * it did not end well (the last is the main reason); `finish` runs only after a summary
 * that is not aborted.
 */
const conclude = ({ job, loaded, exit, ended, signal, lost, output }: Ended) =>
  Effect.gen(function* () {
    const say = (line: string) => output.error(`writeback: ${LogFormat.escapeControl(line)}`)
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
    const { summary, kept } = ended ?? exit.value.right
    if (summary === undefined) return ExitCode.RunFailed
    if (job.finish !== undefined && !summary.aborted) {
      const finished = job.finish(Chunk.toReadonlyArray(kept), summary, loaded)
      if (Either.isLeft(finished)) {
        say(finished.left)
        return ExitCode.RunFailed
      }
    }
    const { code, lines } = ending(summary, yield* lost)
    lines.forEach(say)
    return code
  })

/**
 * Runs one job: configuration, logging, signals, output and CONTRACT §7's exit code. The
 * run as the CLI sees it is a fold (`RunView.step`) over its events; signals are listened
 * to for the job's scope; a first one stops the run from starting users, a second one
 * (or `SAP_TIMEOUT_MS` and a margin later) cuts it, and the writes in flight then are
 * listed from the audit record.
 */
export const runJob = (job: Job, deps: RunDeps): Effect.Effect<ExitCode> =>
  Effect.scoped(
    Effect.gen(function* () {
      const flags = job.flags
      const streams = {
        out: job.stdoutForFinish === true ? process.stderr : process.stdout,
        err: process.stderr
      }
      const output = flags.json
        ? Output.json(streams, yield* deps.encoder)
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
      const logging = LogDestination.of(flags, output, loaded.right.logging)
      if (Either.isLeft(logging)) {
        output.error(`writeback: ${LogFormat.escapeControl(logging.left)}`)
        return ExitCode.RunFailed
      }
      if (logging.right.hint !== undefined) output.error(logging.right.hint)

      const stdout = Delivery.watch(streams.out)
      // Watched, never released: a failed stderr is no uncaught error (Output.log reports it
      // to the logger, and the last `writeback:` lines may still fail).
      Delivery.watch(streams.err)

      const grace = Duration.millis(loaded.right.requestTimeoutMs + stopMarginMs)
      const stopping = yield* Stopping.listen(output, grace)
      const startedAt = yield* Clock.currentTimeMillis
      const total = yield* Deferred.make<RunView.Event>()
      const writes = MutableRef.make(CutWrites.empty)
      const logger = Layer.merge(
        LogFormat.layer(logging.right.options),
        Logger.add(CutWrites.observer(writes))
      )
      const step = RunView.step(job.keep ?? RunView.keepNone)
      const terminal = !flags.json && process.stderr.isTTY === true
      // How to read what a full run has counted, once it says (`RunOptions.onCounts`).
      const counter = MutableRef.make<Effect.Effect<Writeback.Counted> | undefined>(undefined)
      const counted = Effect.suspend(() => MutableRef.get(counter) ?? Effect.succeed(undefined))
      const ticks = ProgressTicks.ticks(flags.processAll, terminal, counted)
      const onTick = ProgressTicks.show(terminal, output, startedAt)

      const program = Effect.gen(function* () {
        const writeback = yield* Writeback.Service
        const options: Writeback.RunOptions = {
          stop: Effect.asVoid(Deferred.await(stopping.first)),
          caller: deps.caller,
          // A job that keeps results (`plan`, `report`) or streams them (`--json`) gets every
          // one; `run` and `apply` show no UNCHANGED user, so they build none, only count.
          unchangedResults: flags.json || job.keep !== undefined ? "emit" : "count",
          onCounts: (read) => Effect.sync(() => MutableRef.set(counter, read)),
          onTotal: (users) =>
            Effect.flatMap(Effect.zip(Clock.currentTimeMillis, counted), ([at, now]) =>
              Deferred.succeed(total, { _tag: "Total", users, at, counted: now })
            )
        }
        const mayWrite = job.leased === true && !flags.logOnly && !loaded.right.readOnly
        const seen: Stream.Stream<RunView.Event | ProgressTicks.Tick, JobError> = RunLease.holding(
          loaded.right.lease,
          mayWrite,
          options,
          (options) => job.events(writeback, loaded.right, options)
        ).pipe(
          Stream.merge(Stream.merge(Stream.fromEffect(Deferred.await(total)), ticks), {
            haltStrategy: "left"
          }),
          // A cut ends the stream where it is: the program's scope closes, writes in
          // flight are interrupted and log their `unknown` done lines, the view stays.
          Stream.interruptWhen(Deferred.await(stopping.cut))
        )
        return yield* Stream.runFoldEffect(seen, RunView.initial, (view, event) =>
          event._tag === "Tick"
            ? Effect.suspend(() => {
                const next =
                  event.counted === undefined
                    ? view
                    : step(view, { _tag: "Counted", counted: event.counted })
                return Effect.as(onTick(next), next)
              })
            : Effect.sync(() => {
                const next = step(view, event)
                output.event(event, next)
                return next
              })
        )
      })

      const exit = yield* program.pipe(
        Effect.provide(loaded.right.services.pipe(Layer.provideMerge(logger))),
        Effect.either,
        Effect.exit
      )
      const signal = yield* Stopping.signalled(stopping)
      const ended =
        Exit.isSuccess(exit) &&
        Either.isRight(exit.value) &&
        exit.value.right.summary === undefined &&
        (yield* Deferred.isDone(stopping.cut))
          ? yield* CutShort.summarize(exit.value.right, {
              counted: yield* counted,
              writes: CutWrites.unknown(MutableRef.get(writes)),
              output,
              logger,
              startedAt,
              logOnly: flags.logOnly,
              caller: deps.caller
            })
          : undefined
      logging.right.close()
      output.done()

      const lost = Effect.map(stdout.flushed, () => {
        stdout.release()
        return { log: logging.right.lost(), stdout: stdout.failure() }
      })
      return yield* conclude({ job, loaded: loaded.right, exit, ended, signal, lost, output })
    })
  )
