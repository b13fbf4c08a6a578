import { DfoEmployees } from "@dfo-writeback/dfo-api"
import {
  type AllUsersRequest,
  type RunCounts,
  RunStarted,
  type RunError,
  type SkipCounts,
  type SingleUserRequest,
  type UserResult,
  type WritebackEvent,
  type WritebackRequest
} from "@dfo-writeback/domain"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import { Chunk, Clock, Context, Effect, Exit, Layer, Stream } from "effect"
import * as Apply from "./internal/run/apply.js"
import * as RunContext from "./internal/run/context.js"
import * as Decide from "./internal/run/decide.js"
import * as Guard from "./internal/run/guard.js"
import * as Ledger from "./internal/run/ledger.js"
import * as Single from "./internal/run/single.js"
import { dryRunOf, logCancelled, logRunError, logStarted } from "./internal/run/runLog.js"
import { stopReason } from "./internal/run/stopSignal.js"
import * as Summary from "./internal/run/summary.js"
import type * as Plan from "./Plan.js"
import { WritebackConfig } from "./WritebackConfig.js"

/** How a run is asked for, beyond the request itself. */
export interface RunOptions {
  /** Who asked (a token's name): into the `audit` lines and `RunSummary.caller`. */
  readonly caller?: string
  /**
   * Completes when the run should stop: no new users are started, users in flight
   * finish, and the summary reports the run aborted with the reason it completes with,
   * `interrupted` when none (a CLI's SIGINT/SIGTERM; `LEASE_LOST: …` for a lost lease).
   */
  readonly stop?: Effect.Effect<string | void>
  /**
   * Told once how many users the run examines, as soon as it knows: a full run when its
   * plan stage is complete (the users decided so far and the writes ahead), an applied
   * plan at its start. A CLI's progress shows the total and an estimate from it.
   */
  readonly onTotal?: (users: number) => Effect.Effect<void>
  /**
   * `emit` (default): a `UserResult` for every examined entry. `count`: UNCHANGED users
   * are only counted in the summary, no result of theirs is built, kept or streamed
   * (for a caller that shows none).
   */
  readonly unchangedResults?: "emit" | "count"
  /**
   * Given once, as a full run or an applied plan starts, a read of what it has counted so
   * far: the counts its summary will hold, with users that sent no result yet (UNCHANGED
   * ones under `count`, results held back for check 6a). A CLI's progress and the summary
   * of a run it cuts short read it; reading costs nothing while no one does.
   */
  readonly onCounts?: (counted: Effect.Effect<Counted>) => Effect.Effect<void>
}

/** What a run has counted so far (`RunOptions.onCounts`). */
export interface Counted {
  readonly counts: RunCounts
  readonly skips: SkipCounts
}

/** The writeback program: one request in, a stream of events out (CONTRACT §4). */
export interface Shape {
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
   * `run` for one user as one effect: the same events, each handed to `emit` as it
   * happens (`RunStarted` before anything is read). The server's calls and the event
   * consumer take this path: a stream costs a one-user run about 800 Effect operations of
   * its 1 400 (issue #21 point 4). Fails as `run` does, or with `emit`'s own error.
   */
  readonly runSingle: <E, R>(
    request: SingleUserRequest,
    emit: (event: WritebackEvent) => Effect.Effect<void, E, R>,
    options?: RunOptions
  ) => Effect.Effect<void, RunError | E, R>
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

/** What a full run examines: every entry (or those changed lately), or a plan's users. */
type Source =
  | { readonly _tag: "Request"; readonly request: AllUsersRequest }
  | { readonly _tag: "Plan"; readonly plan: Plan.Plan }

/** The writeback program's tag: `Writeback.Service`. */
export class Service extends Context.Tag("@dfo-writeback/writeback/Writeback")<Service, Shape>() {}

/**
 * A full run: decide → guard → apply, results streaming out as each stage decides them.
 * An incremental one examines the entries changed within its window before `startedAt`.
 */
const allUsers = (
  run: RunContext.RunContext,
  request: AllUsersRequest,
  onTotal: NonNullable<RunOptions["onTotal"]>,
  startedAt: number
): Stream.Stream<UserResult, RunError> =>
  Decide.all(
    run,
    request.changedSinceSeconds === 0
      ? undefined
      : new Date(startedAt - request.changedSinceSeconds * 1000)
  ).pipe(
    Guard.guard(Guard.limits(run.settings.maxUpdates, request.maxUpdates)),
    Stream.flatMap((cleared) =>
      cleared._tag === "Results"
        ? Stream.fromChunk(cleared.results)
        : Stream.unwrap(
            Effect.as(
              Effect.flatMap(run.ledger.state, ({ counts }) =>
                onTotal(counts.total + Chunk.size(cleared.planned))
              ),
              Apply.each(run, cleared.planned, (planned) =>
                Apply.applyPlanned(run, planned, cleared.claimedLater)
              )
            )
          )
    )
  )

/** A reviewed plan: its guard, then each planned user re-read and written while it holds. */
const reviewedPlan = (
  run: RunContext.RunContext,
  plan: Plan.Plan,
  maxUpdates: number,
  onTotal: NonNullable<RunOptions["onTotal"]>
): Stream.Stream<UserResult, RunError> =>
  Stream.fromEffect(
    Effect.zipRight(
      Guard.reviewed(plan.users.length, maxUpdates, run.settings.maxUpdates),
      onTotal(plan.users.length)
    )
  ).pipe(
    Stream.drain,
    Stream.concat(Apply.each(run, plan.users, (planned) => Apply.applyReviewed(run, planned)))
  )

export const make = Effect.gen(function* () {
  const directory = yield* PortalDirectory.PortalDirectory
  const dfo = yield* DfoEmployees.DfoEmployees
  const settings = yield* WritebackConfig
  const services = { settings, directory, dfo }

  /** A full run or a reviewed plan: the stages as one stream, counted by the ledger. */
  const execute = (
    source: Source,
    options: ApplyOptions = {}
  ): Stream.Stream<WritebackEvent, RunError> =>
    Stream.unwrapScoped(
      Effect.gen(function* () {
        const startedAt = yield* Clock.currentTimeMillis
        const logOnly = source._tag === "Request" ? source.request.logOnly : false
        const ledger = yield* Ledger.make(settings.abortAfterConsecutiveFailures)
        const run = yield* RunContext.make(
          {
            runId: crypto.randomUUID(),
            caller: options.caller ?? "",
            plan:
              source._tag === "Plan"
                ? {
                    digest: source.plan.digest,
                    madeBy: source.plan.made_by,
                    comment: source.plan.comment
                  }
                : undefined,
            dryRun: dryRunOf(logOnly, settings.readOnly),
            unchangedResults: options.unchangedResults ?? "emit"
          },
          { settings, directory, dfo, ledger }
        )

        if (options.onCounts !== undefined) {
          yield* options.onCounts(
            Effect.map(ledger.state, ({ counts, skips }): Counted => ({ counts, skips }))
          )
        }
        if (options.stop !== undefined) {
          yield* Effect.forkScoped(
            Effect.flatMap(options.stop, (reason) => ledger.abort(stopReason(reason)))
          )
        }
        yield* Effect.addFinalizer((exit) =>
          Exit.isInterrupted(exit) ? logCancelled(run.runId) : Effect.void
        )
        yield* logStarted(run, {
          processAll: true,
          logOnly,
          changedSinceSeconds: source._tag === "Request" ? source.request.changedSinceSeconds : 0
        })

        const onTotal = options.onTotal ?? (() => Effect.void)
        const users =
          source._tag === "Plan"
            ? reviewedPlan(run, source.plan, options.maxUpdates ?? 0, onTotal)
            : allUsers(run, source.request, onTotal, startedAt)
        const started = new RunStarted({
          runId: run.runId,
          logOnly,
          readOnly: settings.readOnly,
          processAll: true,
          changedSinceSeconds: source._tag === "Request" ? source.request.changedSinceSeconds : 0
        })
        return Stream.make<Array<WritebackEvent>>(started).pipe(
          Stream.concat(users),
          Stream.concat(
            Stream.fromEffect(
              Effect.flatMap(ledger.state, (state) =>
                Summary.summarize(run, state, { startedAt, logOnly })
              )
            )
          ),
          Stream.tapError((error) => run.annotate(logRunError(error)))
        )
      })
    )

  return Service.of({
    run: (request, options = {}) =>
      request._tag === "SingleUser"
        ? Stream.suspend(() => {
            const { started, rest } = Single.start(services, request, options)
            return Stream.concat(Stream.succeed(started), Stream.fromIterableEffect(rest))
          })
        : execute({ _tag: "Request", request }, options),
    runSingle: (request, emit, options = {}) =>
      Effect.suspend(() => {
        const { started, rest } = Single.start(services, request, options)
        // Each `emit` called once the one before has run: a caller may act as it is called.
        return Effect.zipRight(
          emit(started),
          Effect.flatMap(rest, ([result, summary]) =>
            Effect.zipRight(
              emit(result),
              Effect.suspend(() => emit(summary))
            )
          )
        )
      }),
    apply: (plan, options) => execute({ _tag: "Plan", plan }, options)
  })
})

/** The program over the directory, DFØ and its settings. */
export const layer: Layer.Layer<
  Service,
  never,
  PortalDirectory.PortalDirectory | DfoEmployees.DfoEmployees | WritebackConfig
> = Layer.effect(Service, make)
