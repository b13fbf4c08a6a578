import { DfoEmployees, RequestTally } from "@dfo-writeback/dfo-api"
import {
  type AllUsersRequest,
  type ChangeSet,
  checkEligibility,
  countResult,
  countSkip,
  type Eligible,
  diff,
  emptyCounts,
  type DfoEmployee,
  isUnchanged,
  MassUpdateGuard,
  type PortalUser,
  RunStarted,
  type RunError,
  type SkipCounts,
  RunSummary,
  type UserResult,
  type WritebackEvent,
  type WritebackRecord,
  type WritebackRequest
} from "@dfo-writeback/domain"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import {
  Chunk,
  Clock,
  Context,
  Effect,
  Either,
  Exit,
  Fiber,
  FiberRef,
  Layer,
  LogLevel,
  Option,
  type Scope,
  Stream
} from "effect"
import * as Results from "./internal/results.js"
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
}

export class Writeback extends Context.Tag("@dfo-writeback/writeback/Writeback")<
  Writeback,
  WritebackService
>() {}

/** A user whose check found something to write, waiting for the apply phase. */
interface Planned {
  readonly user: PortalUser
  readonly sapId: string
  readonly record: WritebackRecord
  readonly changeSet: ChangeSet
}

/** Pages of the directory read ahead of the planning (8 × PORTAL_LDAP_PAGE_SIZE users). */
const readAheadPages = 8

const isFailure = (result: UserResult) => result.outcome === "FAILED"
/** Results that prove DFØ answered; a skip before any DFØ call proves nothing. */
const reachedDfo = (result: UserResult) =>
  result.outcome !== "FAILED" &&
  (result.outcome !== "SKIPPED" || result.skipReason === "NOT_IN_SAP")

export const make = Effect.gen(function* () {
  const directory = yield* PortalDirectory.PortalDirectory
  const dfo = yield* DfoEmployees.DfoEmployees
  const settings = yield* WritebackConfig

  const run = (
    request: WritebackRequest,
    options: RunOptions = {}
  ): Stream.Stream<WritebackEvent, RunError> =>
    Stream.unwrapScoped(
      Effect.gen(function* () {
        const runId = crypto.randomUUID()
        const startedAt = yield* Clock.currentTimeMillis
        const processAll = request._tag === "AllUsers"
        const dryRun = request.logOnly
          ? "log-only request"
          : settings.readOnly
            ? "SAP_READ_ONLY"
            : undefined
        const annotate = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          Effect.annotateLogs(effect, "run_id", runId)

        let counts = emptyCounts
        let skips: SkipCounts = {}
        const tally = RequestTally.empty()
        const caller = options.caller ?? ""
        const counted = RequestTally.into(tally)
        let consecutiveFailures = 0
        let abortReason: string | undefined

        /**
         * Counts one finished user and tracks consecutive failures; synchronous, so a full
         * run's many skipped and unchanged users cost no effect of their own.
         */
        const record = (result: UserResult): Effect.Effect<void> | undefined => {
          counts = countResult(counts, result)
          skips = countSkip(skips, result)
          if (!isFailure(result)) {
            if (reachedDfo(result)) consecutiveFailures = 0
            return undefined
          }
          consecutiveFailures += 1
          const failure = Effect.logError(result.message).pipe(
            Effect.annotateLogs({ code: result.errorCode, sap_id: result.sapId })
          )
          if (
            abortReason !== undefined ||
            consecutiveFailures < settings.abortAfterConsecutiveFailures
          ) {
            return failure
          }
          abortReason =
            `stopped after ${consecutiveFailures} consecutive DFØ failures ` +
            `(SAP_ABORT_AFTER_CONSECUTIVE_FAILURES=${settings.abortAfterConsecutiveFailures}); ` +
            `last: ${result.message}`
          return Effect.zipRight(failure, Effect.logError(abortReason))
        }

        /** The per-user debug line, for LOG_LEVEL=debug. */
        const logResult = (result: UserResult) =>
          Effect.logDebug(result.message).pipe(
            Effect.annotateLogs({ outcome: result.outcome, sap_id: result.sapId })
          )

        const debug = yield* FiberRef.get(FiberRef.currentMinimumLogLevel).pipe(
          Effect.map((level) => LogLevel.lessThanEqual(level, LogLevel.Debug))
        )

        /** Counts one finished user; the log lines it calls for, if any. */
        const finish = (result: UserResult): Effect.Effect<void> | undefined => {
          const log = record(result) ?? (debug ? logResult(result) : undefined)
          return log && Effect.annotateLogs(log, "idauto_id", result.idautoId)
        }

        /** Counts and logs one finished user. */
        const settle = (result: UserResult) =>
          Effect.suspend(() => finish(result) ?? Effect.void).pipe(Effect.as(result), annotate)

        /** Step 8: a final result, or a planned update. */
        const compare = (
          user: PortalUser,
          sapId: string,
          record: WritebackRecord,
          employee: DfoEmployee
        ): Either.Either<Planned, UserResult> => {
          const changeSet = diff(record, employee)
          return isUnchanged(changeSet)
            ? Either.left(Results.unchanged(user, changeSet))
            : Either.right({ user, sapId, record, changeSet })
        }

        /** Step 7 on its own: read the employee, then compare. */
        const fetchAndCompare = (
          user: PortalUser,
          sapId: string,
          record: WritebackRecord
        ): Effect.Effect<Either.Either<Planned, UserResult>> =>
          counted(dfo.get(sapId)).pipe(
            Effect.map(
              Option.match({
                onNone: () => Either.left(Results.notInSap(user, sapId)),
                onSome: (employee) => compare(user, sapId, record, employee)
              })
            ),
            Effect.catchAll((error) => Effect.succeed(Either.left(Results.failed(user, error))))
          )

        /** Checks 1–8 of CONTRACT §4 for one user. */
        const plan = (user: PortalUser): Effect.Effect<Either.Either<Planned, UserResult>> =>
          Either.match(checkEligibility(user, settings.rules, settings.mapping), {
            onLeft: ({ reason, message }) =>
              Effect.succeed(Either.left(Results.skipped(user, reason, message))),
            onRight: ({ sapId, record }) => fetchAndCompare(user, sapId, record)
          })

        /**
         * Steps 9–10. A full run re-reads the employee first and writes only what
         * still differs, so a value set since the plan (a write-once brukerident
         * above all) is never overwritten.
         */
        const apply = (planned: Planned, reRead: boolean): Effect.Effect<UserResult> =>
          Effect.gen(function* () {
            const { user, sapId } = planned
            if (dryRun !== undefined) return Results.wouldUpdate(user, planned.changeSet, dryRun)
            let changeSet = planned.changeSet
            if (reRead) {
              const current = yield* Effect.either(counted(dfo.get(sapId)))
              if (Either.isLeft(current)) return Results.failed(user, current.left)
              if (Option.isNone(current.right)) return Results.notInSap(user, sapId)
              changeSet = diff(planned.record, current.right.value)
              if (isUnchanged(changeSet)) return Results.unchanged(user, changeSet)
            }
            const written = yield* Effect.either(counted(dfo.patch(sapId, changeSet.patch)))
            if (Either.isLeft(written)) return Results.failed(user, written.left, changeSet)
            yield* Effect.logInfo("audit").pipe(
              Effect.annotateLogs({
                audit: true,
                sap_id: sapId,
                before: Object.fromEntries(changeSet.changes.map((c) => [c.field, c.before])),
                after: Object.fromEntries(changeSet.changes.map((c) => [c.field, c.after]))
              }),
              annotate,
              Effect.annotateLogs("idauto_id", user.idautoId ?? "")
            )
            return Results.updated(user, changeSet)
          })

        const examineOne = (user: PortalUser) =>
          plan(user).pipe(
            Effect.flatMap(
              Either.match({ onLeft: Effect.succeed, onRight: (p) => apply(p, false) })
            ),
            Effect.flatMap(settle)
          )

        const examineAll = (all: AllUsersRequest) =>
          Effect.gen(function* () {
            const listed = yield* employeeList()
            const configured = settings.maxUpdates
            const limit = all.maxUpdates > 0 ? Math.min(configured, all.maxUpdates) : configured
            const planned: Array<Planned> = []
            const notAborted = () => abortReason === undefined

            /**
             * One page of the directory. Users the list answers are decided without an
             * effect each (a nightly run is mostly skipped and unchanged users); the rest
             * are read on their own, `SAP_CONCURRENCY` at a time, each settled as it ends
             * so a run of failures stops the run as soon as it counts.
             */
            const planPage = (page: Chunk.Chunk<PortalUser>) =>
              Effect.gen(function* () {
                const known = yield* listed
                const results: Array<UserResult> = []
                const logs: Array<Effect.Effect<void>> = []
                const remote: Array<Eligible & { readonly user: PortalUser }> = []
                const decided = (outcome: Either.Either<Planned, UserResult>) => {
                  if (Either.isRight(outcome)) return void planned.push(outcome.right)
                  results.push(outcome.left)
                  const log = finish(outcome.left)
                  if (log !== undefined) logs.push(log)
                }
                for (const user of page) {
                  if (!notAborted()) break
                  const eligibility = checkEligibility(user, settings.rules, settings.mapping)
                  if (Either.isLeft(eligibility)) {
                    const { reason, message } = eligibility.left
                    decided(Either.left(Results.skipped(user, reason, message)))
                    continue
                  }
                  const { sapId, record: wanted } = eligibility.right
                  const employee = Option.flatMapNullable(known, (byId) => byId.get(sapId))
                  if (Option.isSome(employee)) {
                    decided(compare(user, sapId, wanted, employee.value))
                  } else {
                    remote.push({ user, sapId, record: wanted })
                  }
                }
                yield* annotate(Effect.all(logs, { discard: true }))
                const fetched = yield* Effect.forEach(
                  remote,
                  ({ user, sapId, record: wanted }) =>
                    notAborted()
                      ? fetchAndCompare(user, sapId, wanted).pipe(
                          Effect.tap((outcome) =>
                            Either.isLeft(outcome) ? settle(outcome.left) : Effect.void
                          ),
                          Effect.asSome
                        )
                      : Effect.succeedNone,
                  { concurrency: settings.concurrency }
                )
                for (const outcome of fetched) {
                  if (Option.isNone(outcome)) continue
                  if (Either.isRight(outcome.value)) planned.push(outcome.value.right)
                  else results.push(outcome.value.left)
                }
                // Tripping as soon as a page passes the limit stops the read early and
                // keeps the held plan within a page of the limit.
                if (dryRun === undefined && planned.length > limit) {
                  return yield* new MassUpdateGuard({
                    planned: planned.length,
                    limit,
                    configuredLimit: configured,
                    requestLimit: all.maxUpdates
                  })
                }
                return Chunk.unsafeFromArray(results)
              })

            const planPhase = directory.streamAll().pipe(
              // The directory reads ahead while the DFØ list is still arriving: a bounded
              // buffer of pages, so memory stays independent of the directory's size.
              Stream.bufferChunks({ capacity: readAheadPages }),
              Stream.takeWhile(notAborted),
              Stream.mapChunksEffect(planPage)
            )
            const applyPhase = Stream.suspend(() => Stream.fromIterable(planned.splice(0))).pipe(
              Stream.mapEffect(
                (p) =>
                  notAborted()
                    ? Effect.asSome(Effect.flatMap(apply(p, true), settle))
                    : Effect.succeedNone,
                { concurrency: settings.concurrency, unordered: true }
              ),
              Stream.filterMap((result) => result)
            )
            return Stream.concat(planPhase, applyPhase)
          })

        /**
         * With SAP_BULK_LIST, one `GET {base}` read alongside the directory (None without
         * it, or when it failed: then each employee is read on its own).
         */
        const employeeList = (): Effect.Effect<
          Effect.Effect<Option.Option<ReadonlyMap<string, DfoEmployee>>>,
          never,
          Scope.Scope
        > =>
          Effect.gen(function* () {
            if (!settings.bulkList) return Effect.succeedNone
            const listing = yield* Effect.forkScoped(
              counted(dfo.list()).pipe(
                Effect.map(
                  (employees): ReadonlyMap<string, DfoEmployee> =>
                    new Map(employees.map((e) => [e.id, e]))
                ),
                Effect.tapError((error) =>
                  annotate(
                    Effect.logWarning(
                      `reading all employees at once failed; reading each on its own: ${error.message}`
                    )
                  )
                ),
                Effect.option
              )
            )
            return Fiber.join(listing)
          })

        const users: Stream.Stream<UserResult, RunError> =
          request._tag === "SingleUser"
            ? Stream.fromEffect(
                directory
                  .findByKey(request.keyField, request.keyValue)
                  .pipe(Effect.flatMap(examineOne))
              )
            : Stream.unwrapScoped(examineAll(request))

        const summary = Effect.gen(function* () {
          const durationMs = (yield* Clock.currentTimeMillis) - startedAt
          const result = new RunSummary({
            runId,
            ...counts,
            skippedByReason: skips,
            dfoRequests: tally.requests,
            dfoRetries: tally.retries,
            dfoRateLimited: tally.rateLimited,
            logOnly: request.logOnly,
            aborted: abortReason !== undefined,
            abortReason: abortReason ?? "",
            durationMs,
            caller
          })
          yield* annotate(
            Effect.logInfo(abortReason === undefined ? "run finished" : "run aborted").pipe(
              Effect.annotateLogs({
                summary: true,
                total: counts.total,
                skipped: counts.skipped,
                unchanged: counts.unchanged,
                updated: counts.updated,
                would_update: counts.wouldUpdate,
                update_failed: counts.updateFailed,
                fetch_failed: counts.fetchFailed,
                skipped_by_reason: skips,
                dfo_requests: tally.requests,
                dfo_retries: tally.retries,
                dfo_rate_limited: tally.rateLimited,
                caller,
                aborted: result.aborted,
                abort_reason: result.abortReason,
                duration_ms: durationMs
              })
            )
          )
          return result
        })

        if (options.stop !== undefined) {
          yield* Effect.forkScoped(
            Effect.zipRight(
              options.stop,
              Effect.sync(() => {
                abortReason ??= "interrupted"
              })
            )
          )
        }
        yield* Effect.addFinalizer((exit) =>
          Exit.isInterrupted(exit)
            ? annotate(Effect.logWarning("run cancelled: no new users are started"))
            : Effect.void
        )
        yield* annotate(
          Effect.logInfo("run started").pipe(
            Effect.annotateLogs({
              process_all: processAll,
              log_only: request.logOnly,
              read_only: settings.readOnly
            })
          )
        )

        const started = new RunStarted({
          runId,
          logOnly: request.logOnly,
          readOnly: settings.readOnly,
          processAll
        })
        return Stream.make<Array<WritebackEvent>>(started).pipe(
          Stream.concat(users),
          Stream.concat(Stream.fromEffect(summary)),
          Stream.tapError((error) =>
            annotate(
              // A key nobody has, or a bad request, is the caller's answer, not a fault here.
              (error._tag === "UserNotFound"
                ? Effect.logInfo(error.message)
                : error._tag === "AmbiguousKey" || error._tag === "InvalidRequest"
                  ? Effect.logWarning(error.message)
                  : Effect.logError(error.message)
              ).pipe(Effect.annotateLogs("code", error.code))
            )
          )
        )
      })
    )

  return Writeback.of({ run })
})

/** The program over the directory, DFØ and its settings. */
export const layer: Layer.Layer<
  Writeback,
  never,
  PortalDirectory.PortalDirectory | DfoEmployees.DfoEmployees | WritebackConfig
> = Layer.effect(Writeback, make)
