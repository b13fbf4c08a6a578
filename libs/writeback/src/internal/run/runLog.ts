import type { RunError } from "@dfo-writeback/domain"
import { Effect } from "effect"
import type { UserContext } from "./context.js"

/** How a run-level error is logged: a key nobody has, or a bad request, is the caller's answer. */
export const logRunError = (error: RunError) =>
  (error._tag === "UserNotFound"
    ? Effect.logInfo(error.message)
    : error._tag === "AmbiguousKey" || error._tag === "InvalidRequest"
      ? Effect.logWarning(error.message)
      : Effect.logError(error.message)
  ).pipe(Effect.annotateLogs("code", error.code))

/** Why a run writes nothing (`log-only request`, `SAP_READ_ONLY`), or `undefined`. */
export const dryRunOf = (logOnly: boolean, readOnly: boolean) =>
  logOnly ? "log-only request" : readOnly ? "SAP_READ_ONLY" : undefined

/** The run's first log line, with what kind of run it is. */
export const logStarted = (
  run: UserContext,
  flags: {
    readonly processAll: boolean
    readonly logOnly: boolean
    readonly changedSinceSeconds?: number
  }
) =>
  run.annotate(
    Effect.logInfo("run started").pipe(
      Effect.annotateLogs({
        process_all: flags.processAll,
        log_only: flags.logOnly,
        ...(flags.changedSinceSeconds ? { changed_since_seconds: flags.changedSinceSeconds } : {}),
        read_only: run.settings.readOnly,
        ...(run.plan === undefined ? {} : { plan_digest: run.plan.digest })
      })
    )
  )

export const logCancelled = (runId: string) =>
  Effect.logWarning("run cancelled: no new users are started").pipe(
    Effect.annotateLogs("run_id", runId)
  )
