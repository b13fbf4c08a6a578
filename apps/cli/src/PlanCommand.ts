import { validateRequest, type WritebackEvent } from "@dfo-writeback/domain"
import { ConfigSource, LogFormat } from "@dfo-writeback/edge"
import { Plan, PlanError, PlanRender } from "@dfo-writeback/writeback"
import { Effect, Either, Option, Stream } from "effect"
import { ExitCode } from "./ExitCode.js"
import * as PlanFile from "./PlanFile.js"
import { type JobError, type RunDeps, type RunFlags, runJob } from "./RunCommand.js"

export interface PlanFlags extends Omit<RunFlags, "logOnly"> {
  readonly out: string
  /** Replace `out` when it exists. */
  readonly force: boolean
  readonly format: Option.Option<PlanRender.Format>
}

/**
 * `writeback plan`: a dry run whose WOULD_UPDATE users become a plan file (CONTRACT §7),
 * optionally rendered for people on stdout. The file is written only when the run ended
 * with its summary, not aborted.
 */
export const planWriteback = (flags: PlanFlags, deps: RunDeps): Effect.Effect<ExitCode> =>
  Effect.suspend(() => {
    const request = validateRequest({ ...flags, logOnly: true })
    const taken = PlanFile.refusal(flags.out, flags.force)
    const problems: ReadonlyArray<string> = [
      ...(Either.isLeft(request) ? request.left.problems : []),
      ...(taken === undefined ? [] : [taken])
    ]
    if (problems.length > 0) {
      process.stderr.write(
        `writeback plan: ${LogFormat.escapeControl(problems.join("; "))}\n${deps.usage}\n`
      )
      return Effect.succeed(ExitCode.Usage)
    }
    if (Either.isLeft(request)) return Effect.succeed(ExitCode.Usage)
    return runJob(
      {
        flags: { ...flags, logOnly: true },
        events: (writeback, _loaded, options) => writeback.run(request.right, options),
        keep: (result) => result.outcome === "WOULD_UPDATE",
        finish: (results, summary, loaded) => {
          const plan = Plan.make({
            settings: loaded.plan.settings,
            results,
            skippedByReason: summary.skippedByReason,
            now: new Date()
          })
          return Either.map(PlanFile.write(flags.out, Plan.encode(plan), flags.force), () => {
            Option.map(flags.format, (format) =>
              process.stdout.write(PlanRender.render(plan, format))
            )
            if (Option.isNone(flags.format) && !flags.json) {
              process.stdout.write(`plan written to ${flags.out}: ${PlanRender.countsLine(plan)}\n`)
            }
          })
        }
      },
      deps
    )
  })

export interface ApplyFlags extends Pick<RunFlags, "json" | "logFile"> {
  readonly file: string
  readonly maxUpdates: number
}

/**
 * Reads and checks a plan file; any problem is one typed refusal. Read as configuration
 * files are: a regular file, at most `Plan.maxFileBytes` (a FIFO or `/dev/zero` is refused
 * before it is opened).
 */
const readPlan = (
  file: string,
  options: Parameters<typeof Plan.decode>[1]
): Either.Either<Plan.Plan, PlanError.PlanRefused> =>
  Either.flatMap(
    Either.mapLeft(
      ConfigSource.readBoundedFile(file, Plan.maxFileBytes),
      (reason) => new PlanError.PlanMalformed({ reason })
    ),
    (text) => Plan.decode(text, options)
  )

/**
 * `writeback apply FILE`: writes exactly the plan (CONTRACT §7); a refused file writes
 * nothing and exits 2 with one line.
 */
export const applyPlan = (flags: ApplyFlags, deps: RunDeps): Effect.Effect<ExitCode> =>
  runJob(
    {
      flags: { ...flags, processAll: true, logOnly: false },
      events: (writeback, loaded, options) =>
        Stream.unwrap(
          Effect.map(
            Effect.sync(() =>
              readPlan(flags.file, {
                settings: loaded.plan.settings,
                maxAgeHours: loaded.plan.maxAgeHours,
                now: new Date()
              })
            ),
            Either.match({
              onLeft: (refused): Stream.Stream<WritebackEvent, JobError> => Stream.fail(refused),
              onRight: (plan) => writeback.apply(plan, { ...options, maxUpdates: flags.maxUpdates })
            })
          )
        )
    },
    deps
  )
