import { validateRequest } from "@dfo-writeback/domain"
import { LogFormat, Suggest } from "@dfo-writeback/edge"
import { Effect, Either } from "effect"
import { ExitCode } from "./ExitCode.js"
import * as PlanFile from "./PlanFile.js"
import * as Report from "./Report.js"
import { type RunDeps, type RunFlags, runJob } from "./RunCommand.js"

export interface ReportFlags extends Pick<RunFlags, "processAll" | "logFile"> {
  /** `--changed-since` in seconds: an incremental run (implies --process-all); 0 for none. */
  readonly changedSinceSeconds: number
  /** The file to write, or `-` for stdout. */
  readonly out: string
  /** Replace `out` when it exists. */
  readonly force: boolean
  readonly format: Report.Format
  /** `--reasons` as given: names separated by commas; "" lists every reason. */
  readonly reasons: string
}

/** `--reasons`: the names, or every problem with them (an unknown one with a suggestion). */
export const parseReasons = (
  text: string
): Either.Either<ReadonlyArray<string>, ReadonlyArray<string>> => {
  if (text.trim() === "") return Either.right([])
  const names = text.split(",").map((name) => name.trim())
  const problems = names.flatMap((name) =>
    name === ""
      ? ["--reasons holds an empty name"]
      : Report.reasons.includes(name)
        ? []
        : [`--reasons: ${Suggest.unknownName("reason", name.slice(0, 64), Report.reasons)}`]
  )
  return problems.length > 0 ? Either.left(problems) : Either.right([...new Set(names)])
}

/**
 * `writeback report`: a dry run (log only, whatever SAP_READ_ONLY says) whose skipped and
 * failed users become a list for people (CONTRACT §7). Written only when the run ended with
 * its summary: an aborted run writes no report (exit 4), since a partial list would read as
 * the whole one.
 */
export const report = (flags: ReportFlags, deps: RunDeps): Effect.Effect<ExitCode> =>
  Effect.suspend(() => {
    const wanted = parseReasons(flags.reasons)
    const stdout = flags.out === "-"
    const taken = stdout ? undefined : PlanFile.refusal(flags.out, flags.force)
    const processAll = flags.processAll || flags.changedSinceSeconds > 0
    const request = validateRequest({
      processAll,
      keyField: undefined,
      keyValue: "",
      logOnly: true,
      maxUpdates: 0,
      changedSinceSeconds: flags.changedSinceSeconds
    })
    const problems: ReadonlyArray<string> = [
      ...(processAll ? [] : ["give --process-all or --changed-since"]),
      ...(Either.isLeft(wanted) ? wanted.left : []),
      ...(taken === undefined ? [] : [taken])
    ]
    if (problems.length > 0 || Either.isLeft(request) || Either.isLeft(wanted)) {
      process.stderr.write(
        `writeback report: ${LogFormat.escapeControl(problems.join("; "))}\n${deps.usage}\n`
      )
      return Effect.succeed(ExitCode.Usage)
    }
    return runJob(
      {
        flags: { processAll: true, logOnly: true, json: false, logFile: flags.logFile },
        stdoutForFinish: stdout,
        events: (writeback, _loaded, options) => writeback.run(request.right, options),
        keep: (result) => result.outcome === "SKIPPED" || result.outcome === "FAILED",
        finish: (results, summary) => {
          const made = Report.make(results, summary, wanted.right)
          const text = Report.render(made, flags.format)
          return stdout
            ? PlanFile.writeStdout(text, "the report")
            : Either.map(PlanFile.write(flags.out, text, flags.force, "the report"), () => {
                process.stdout.write(`report written to ${flags.out}: ${Report.countsLine(made)}\n`)
              })
        }
      },
      deps
    ).pipe(
      // The failed users are what the report lists: once it is written, the command is done.
      Effect.map((code) => (code === ExitCode.UserFailed ? ExitCode.Ok : code))
    )
  })
