import { validateRequest, type WritebackEvent } from "@dfo-writeback/domain"
import { ConfigSource, LogFormat } from "@dfo-writeback/edge"
import { Plan, PlanError } from "@dfo-writeback/writeback"
import { Effect, Either, Option, Stream } from "effect"
import * as path from "node:path"
import { ExitCode } from "./ExitCode.js"
import * as PlanFile from "./PlanFile.js"
import * as PlanReview from "./PlanReview.js"
import { type JobError, type RunDeps, type RunFlags, runJob } from "./RunCommand.js"

export interface PlanFlags extends Omit<RunFlags, "logOnly"> {
  readonly out: string
  /** Replace `out` (and the `review` file) when it exists. */
  readonly force: boolean
  readonly format: Option.Option<PlanReview.Format>
  /** Where the review goes: a file, or `-` for stdout alone. */
  readonly review: Option.Option<string>
  /** Stored in the plan, under its digest. */
  readonly comment: Option.Option<string>
}

/** Where `plan` puts the review: nowhere, stdout alone, or a file (in `format`). */
type ReviewTarget =
  | { readonly _tag: "None" }
  | { readonly _tag: "Stdout"; readonly format: PlanReview.Format }
  | { readonly _tag: "File"; readonly file: string; readonly format: PlanReview.Format }

/**
 * `--review FILE` writes the review there (`--format`, else CSV); `--review -` or `--format`
 * alone puts it on stdout, alone: the run's own output goes to stderr, so `> review.csv` is
 * a CSV.
 */
const reviewTarget = (flags: PlanFlags): ReviewTarget =>
  Option.match(flags.review, {
    onNone: () =>
      Option.match(flags.format, {
        onNone: () => ({ _tag: "None" }),
        onSome: (format) => ({ _tag: "Stdout", format })
      }),
    onSome: (file) => {
      const format = Option.getOrElse(flags.format, () => "csv" as const)
      return file === "-" ? { _tag: "Stdout", format } : { _tag: "File", file, format }
    }
  })

/** The comment as stored: trimmed, `undefined` when empty; or why it is refused. */
const commentOf = (given: Option.Option<string>): Either.Either<string | undefined, string> => {
  const text = Option.getOrElse(given, () => "").trim()
  if (text === "") return Either.right(undefined)
  if (text.length > Plan.maxCommentLength) {
    return Either.left(
      `--comment has ${text.length} characters, over ${Plan.maxCommentLength}: name the ticket, not its text`
    )
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    return Either.left("--comment holds a control character (a line break?): give one line")
  }
  return Either.right(text)
}

/** Why the flags cannot make a plan, before anything is read. */
const problemsOf = (
  flags: PlanFlags,
  target: ReviewTarget,
  comment: Either.Either<string | undefined, string>
): ReadonlyArray<string> => [
  ...[PlanFile.refusal(flags.out, flags.force)].filter((p) => p !== undefined),
  ...(Either.isLeft(comment) ? [comment.left] : []),
  ...(target._tag === "Stdout" && flags.json
    ? ["--json and the review cannot share stdout: give --review FILE"]
    : []),
  ...(target._tag === "File" && path.resolve(target.file) === path.resolve(flags.out)
    ? ["--review and --out name the same file"]
    : target._tag === "File"
      ? [PlanFile.refusal(target.file, flags.force)].filter((p) => p !== undefined)
      : [])
]

/** Writes the review where it goes; the line for the operator, or why it failed. */
const writeReview = (
  plan: Plan.Plan,
  target: ReviewTarget,
  force: boolean
): Either.Either<string, string> => {
  switch (target._tag) {
    case "None":
      return Either.right("")
    case "Stdout":
      return Either.map(
        PlanFile.writeStdout(PlanReview.render(plan, target.format), "the review"),
        () => ""
      )
    case "File":
      return Either.map(
        PlanFile.write(target.file, PlanReview.render(plan, target.format), force, "the review"),
        () => `; review (${target.format}) written to ${target.file}`
      )
  }
}

/**
 * `writeback plan`: a dry run whose WOULD_UPDATE users become a plan file (CONTRACT §7),
 * with the caller and `--comment` inside it, and a review of it for people. The files are
 * written only when the run ended with its summary, not aborted: the plan first, then the
 * review.
 */
export const planWriteback = (flags: PlanFlags, deps: RunDeps): Effect.Effect<ExitCode> =>
  Effect.suspend(() => {
    const request = validateRequest({ ...flags, logOnly: true })
    const target = reviewTarget(flags)
    const comment = commentOf(flags.comment)
    const problems: ReadonlyArray<string> = [
      ...(Either.isLeft(request) ? request.left.problems : []),
      ...problemsOf(flags, target, comment)
    ]
    if (problems.length > 0 || Either.isLeft(request) || Either.isLeft(comment)) {
      process.stderr.write(
        `writeback plan: ${LogFormat.escapeControl(problems.join("; "))}\n${deps.usage}\n`
      )
      return Effect.succeed(ExitCode.Usage)
    }
    const toStdout = target._tag === "Stdout"
    return runJob(
      {
        flags: { ...flags, logOnly: true },
        stdoutForFinish: toStdout,
        events: (writeback, _loaded, options) => writeback.run(request.right, options),
        keep: (result) => result.outcome === "WOULD_UPDATE",
        finish: (results, summary, loaded) => {
          const plan = Plan.make({
            settings: loaded.plan.settings,
            results,
            skippedByReason: summary.skippedByReason,
            now: new Date(),
            madeBy: deps.caller,
            comment: comment.right
          })
          return Either.flatMap(PlanFile.write(flags.out, Plan.encode(plan), flags.force), () =>
            Either.map(writeReview(plan, target, flags.force), (reviewed) => {
              if (flags.json) return
              const line = `plan written to ${flags.out}${reviewed}: ${PlanReview.countsLine(plan)}\n`
              ;(toStdout ? process.stderr : process.stdout).write(line)
            })
          )
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
  options: Omit<Parameters<typeof Plan.decode>[1], "file">
): Either.Either<Plan.Plan, PlanError.PlanRefused> =>
  Either.flatMap(
    Either.mapLeft(
      ConfigSource.readBoundedFile(file, Plan.maxFileBytes),
      (reason) => new PlanError.PlanMalformed({ reason })
    ),
    (text) => Plan.decode(text, { ...options, file })
  )

/** Which approval is carried out: the plan, when and by whom it was made, its comment. */
const applyingLine = (plan: Plan.Plan): string =>
  LogFormat.escapeControl(
    `applying plan ${plan.digest} made ${plan.created_at}` +
      (plan.made_by === undefined ? "" : ` by ${plan.made_by}`) +
      (plan.comment === undefined ? "" : `: ${plan.comment}`)
  )

/**
 * `writeback apply FILE`: writes exactly the plan (CONTRACT §7); a refused file writes
 * nothing and exits 2 with one line.
 */
export const applyPlan = (flags: ApplyFlags, deps: RunDeps): Effect.Effect<ExitCode> =>
  runJob(
    {
      flags: { ...flags, processAll: true, logOnly: false },
      leased: true,
      events: (writeback, loaded, options) =>
        Stream.unwrap(
          Effect.flatMap(
            Effect.sync(() =>
              readPlan(flags.file, {
                settings: loaded.plan.settings,
                maxAgeHours: loaded.plan.maxAgeHours,
                now: new Date()
              })
            ),
            Either.match({
              onLeft: (refused) => Effect.succeed(Stream.fail<JobError>(refused)),
              onRight: (plan): Effect.Effect<Stream.Stream<WritebackEvent, JobError>> =>
                Effect.as(
                  flags.json
                    ? Effect.void
                    : Effect.sync(() => process.stdout.write(`${applyingLine(plan)}\n`)),
                  writeback.apply(plan, { ...options, maxUpdates: flags.maxUpdates })
                )
            })
          )
        )
    },
    deps
  )
