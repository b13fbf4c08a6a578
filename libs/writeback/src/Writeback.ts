import { DfoEmployees } from "@dfo-writeback/dfo-api"
import {
  type AllUsersRequest,
  RunStarted,
  type RunError,
  type SingleUserRequest,
  type UserResult,
  type WritebackEvent,
  type WritebackRequest
} from "@dfo-writeback/domain"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import { Clock, Context, Effect, Either, Exit, Layer, Stream } from "effect"
import * as Apply from "./internal/run/apply.js"
import * as RunContext from "./internal/run/context.js"
import * as Guard from "./internal/run/guard.js"
import * as Ledger from "./internal/run/ledger.js"
import * as PlanStage from "./internal/run/plan.js"
import * as Summary from "./internal/run/summary.js"
import type * as Plan from "./Plan.js"
import { WritebackConfig } from "./WritebackConfig.js"

/** How a run is asked for, beyond the request itself. */
export interface RunOptions {
  /** Who asked (a token's name): into the `audit` lines and `RunSummary.caller`. */
  readonly caller?: string
  /**
   * Completes when the run should stop: no new users are started, users in flight
   * finish, and the summary reports the run aborted with reason `interrupted`
   * (a CLI's SIGINT/SIGTERM).
   */
  readonly stop?: Effect.Effect<void>
  /**
   * `emit` (default): a `UserResult` for every examined entry. `count`: UNCHANGED users
   * are only counted in the summary, no result of theirs is built, kept or streamed
   * (for a caller that shows none).
   */
  readonly unchangedResults?: "emit" | "count"
}

/** The writeback program: one request in, a stream of events out (CONTRACT §4). */
export interface WritebackService {
  /**
   * Streams one `RunStarted`, a `UserResult` per examined entry, then a `RunSummary`.
   * Fails with a run-level error (LDAP, key not found or ambiguous, mass-update
   * guard); a user's DFØ failure is a result, not a failure of the stream.
   */
  readonly run: (
    request: WritebackRequest,
    options?: RunOptions
  ) => Stream.Stream<WritebackEvent, RunError>
  /**
   * Writes exactly a reviewed plan (CONTRACT §7 `writeback apply`): each planned user is
   * re-read in the directory and in DFØ and written only while the directory still
   * derives the planned values and DFØ still holds what it held; otherwise SKIPPED /
   * `PLAN_STALE`. The same events, rules and audit lines as `run`; the mass-update guard
   * applies only as `maxUpdates`, when given.
   */
  readonly apply: (
    plan: Plan.Plan,
    options?: ApplyOptions
  ) => Stream.Stream<WritebackEvent, RunError>
}

/** How a plan is applied, beyond the plan itself. */
export interface ApplyOptions extends RunOptions {
  /** When above 0, a plan with more users than this writes nothing (`MASS_UPDATE_GUARD`). */
  readonly maxUpdates?: number
}

/** What a run examines: a request's users, or a plan's. */
type Source =
  | { readonly _tag: "Request"; readonly request: WritebackRequest }
  | { readonly _tag: "Plan"; readonly plan: Plan.Plan }

export class Writeback extends Context.Tag("@dfo-writeback/writeback/Writeback")<
  Writeback,
  WritebackService
>() {}

/** A full run: plan → guard → apply, results streaming out as each stage decides them. */
const allUsers = (
  run: RunContext.RunContext,
  request: AllUsersRequest
): Stream.Stream<UserResult, RunError> =>
  PlanStage.all(run).pipe(
    Guard.guard(Guard.limits(run.settings.maxUpdates, request.maxUpdates)),
    Stream.flatMap((cleared) =>
      cleared._tag === "Results"
        ? Stream.fromChunk(cleared.results)
        : Apply.each(run, cleared.planned, (planned) =>
            Apply.applyPlanned(run, planned, cleared.claimedLater)
          )
    )
  )

/** A single-user run: the same stages for one entry, with no guard. */
const singleUser = (
  run: RunContext.RunContext,
  request: SingleUserRequest
): Stream.Stream<UserResult, RunError> =>
  Stream.fromEffect(
    run.directory.findByKey(request.keyField, request.keyValue).pipe(
      Effect.flatMap((user) =>
        PlanStage.one(run, user).pipe(
          Effect.flatMap(
            Either.match({
              onLeft: Effect.succeed,
              onRight: (planned) => Apply.write(run, planned)
            })
          ),
          run.userSpan(user, "single")
        )
      ),
      Effect.flatMap((result) => run.settle([result]))
    )
  ).pipe(Stream.flattenChunks)

/** A reviewed plan: its guard, then each planned user re-read and written while it holds. */
const reviewedPlan = (
  run: RunContext.RunContext,
  plan: Plan.Plan,
  maxUpdates: number
): Stream.Stream<UserResult, RunError> =>
  Stream.fromEffect(Guard.reviewed(plan.users.length, maxUpdates, run.settings.maxUpdates)).pipe(
    Stream.drain,
    Stream.concat(Apply.each(run, plan.users, (planned) => Apply.applyReviewed(run, planned)))
  )

/** How a run-level error is logged: a key nobody has, or a bad request, is the caller's answer. */
const logRunError = (error: RunError) =>
  (error._tag === "UserNotFound"
    ? Effect.logInfo(error.message)
    : error._tag === "AmbiguousKey" || error._tag === "InvalidRequest"
      ? Effect.logWarning(error.message)
      : Effect.logError(error.message)
  ).pipe(Effect.annotateLogs("code", error.code))

export const make = Effect.gen(function* () {
  const directory = yield* PortalDirectory.PortalDirectory
  const dfo = yield* DfoEmployees.DfoEmployees
  const settings = yield* WritebackConfig

  const execute = (
    source: Source,
    options: ApplyOptions = {}
  ): Stream.Stream<WritebackEvent, RunError> =>
    Stream.unwrapScoped(
      Effect.gen(function* () {
        const startedAt = yield* Clock.currentTimeMillis
        const request = source._tag === "Request" ? source.request : undefined
        const processAll = request === undefined || request._tag === "AllUsers"
        const logOnly = request?.logOnly ?? false
        const ledger = yield* Ledger.make(settings.abortAfterConsecutiveFailures)
        const run = yield* RunContext.make(
          {
            runId: crypto.randomUUID(),
            caller: options.caller ?? "",
            dryRun: logOnly ? "log-only request" : settings.readOnly ? "SAP_READ_ONLY" : undefined,
            unchangedResults: options.unchangedResults ?? "emit"
          },
          { settings, directory, dfo, ledger }
        )

        if (options.stop !== undefined) {
          yield* Effect.forkScoped(Effect.zipRight(options.stop, ledger.abort("interrupted")))
        }
        yield* Effect.addFinalizer((exit) =>
          Exit.isInterrupted(exit)
            ? run.annotate(Effect.logWarning("run cancelled: no new users are started"))
            : Effect.void
        )
        yield* run.annotate(
          Effect.logInfo("run started").pipe(
            Effect.annotateLogs({
              process_all: processAll,
              log_only: logOnly,
              read_only: settings.readOnly
            })
          )
        )

        const users =
          source._tag === "Plan"
            ? reviewedPlan(run, source.plan, options.maxUpdates ?? 0)
            : source.request._tag === "SingleUser"
              ? singleUser(run, source.request)
              : allUsers(run, source.request)
        const started = new RunStarted({
          runId: run.runId,
          logOnly,
          readOnly: settings.readOnly,
          processAll
        })
        return Stream.make<Array<WritebackEvent>>(started).pipe(
          Stream.concat(users),
          Stream.concat(Stream.fromEffect(Summary.summarize(run, { startedAt, logOnly }))),
          Stream.tapError((error) => run.annotate(logRunError(error)))
        )
      })
    )

  return Writeback.of({
    run: (request, options) => execute({ _tag: "Request", request }, options),
    apply: (plan, options) => execute({ _tag: "Plan", plan }, options)
  })
})

/** The program over the directory, DFØ and its settings. */
export const layer: Layer.Layer<
  Writeback,
  never,
  PortalDirectory.PortalDirectory | DfoEmployees.DfoEmployees | WritebackConfig
> = Layer.effect(Writeback, make)
