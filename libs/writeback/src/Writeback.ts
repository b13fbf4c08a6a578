import { DfoEmployees } from "@dfo-writeback/dfo-api"
import {
  type AllUsersRequest,
  type ChangeSet,
  checkEligibility,
  countResult,
  diff,
  emptyCounts,
  type DfoEmployee,
  isUnchanged,
  MassUpdateGuard,
  type PortalUser,
  RunStarted,
  type RunError,
  RunSummary,
  type SapFetchError,
  type UserResult,
  type WritebackEvent,
  type WritebackRecord,
  type WritebackRequest
} from "@dfo-writeback/domain"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import {
  Clock,
  Context,
  Effect,
  Either,
  Exit,
  Fiber,
  Layer,
  Option,
  type Scope,
  Stream
} from "effect"
import * as Results from "./internal/results.js"
import { WritebackConfig } from "./WritebackConfig.js"

/** The writeback program: one request in, a stream of events out (CONTRACT §4). */
export interface WritebackService {
  /**
   * Streams one `RunStarted`, a `UserResult` per examined entry, then a `RunSummary`.
   * Fails with a run-level error (LDAP, key not found or ambiguous, mass-update
   * guard); a user's DFØ failure is a result, not a failure of the stream.
   */
  readonly run: (request: WritebackRequest) => Stream.Stream<WritebackEvent, RunError>
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

type Lookup = (sapId: string) => Effect.Effect<Option.Option<DfoEmployee>, SapFetchError>

const isFailure = (result: UserResult) => result.outcome === "FAILED"
/** Results that prove DFØ answered; a skip before any DFØ call proves nothing. */
const reachedDfo = (result: UserResult) =>
  result.outcome !== "FAILED" &&
  (result.outcome !== "SKIPPED" || result.skipReason === "NOT_IN_SAP")

export const make = Effect.gen(function* () {
  const directory = yield* PortalDirectory.PortalDirectory
  const dfo = yield* DfoEmployees.DfoEmployees
  const settings = yield* WritebackConfig

  const run = (request: WritebackRequest): Stream.Stream<WritebackEvent, RunError> =>
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
        let consecutiveFailures = 0
        let abortReason: string | undefined

        /** Counts, logs and tracks consecutive failures for one finished user. */
        const settle = (result: UserResult) =>
          Effect.gen(function* () {
            counts = countResult(counts, result)
            if (isFailure(result)) {
              consecutiveFailures += 1
              yield* Effect.logError(result.message).pipe(
                Effect.annotateLogs({ code: result.errorCode, sap_id: result.sapId })
              )
              if (
                abortReason === undefined &&
                consecutiveFailures >= settings.abortAfterConsecutiveFailures
              ) {
                abortReason =
                  `stopped after ${consecutiveFailures} consecutive DFØ failures ` +
                  `(SAP_ABORT_AFTER_CONSECUTIVE_FAILURES=${settings.abortAfterConsecutiveFailures}); ` +
                  `last: ${result.message}`
                yield* Effect.logError(abortReason)
              }
            } else {
              if (reachedDfo(result)) consecutiveFailures = 0
              yield* Effect.logDebug(result.message).pipe(
                Effect.annotateLogs({ outcome: result.outcome, sap_id: result.sapId })
              )
            }
            return result
          }).pipe(annotate, Effect.annotateLogs("idauto_id", result.idautoId))

        /** Checks 1–8 of CONTRACT §4: a final result, or a planned update. */
        const plan = (
          user: PortalUser,
          lookup: Lookup
        ): Effect.Effect<Either.Either<Planned, UserResult>> =>
          Either.match(checkEligibility(user, settings.rules, settings.mapping), {
            onLeft: ({ reason, message }) =>
              Effect.succeed(Either.left(Results.skipped(user, reason, message))),
            onRight: ({ sapId, record }) =>
              lookup(sapId).pipe(
                Effect.map(
                  Option.match({
                    onNone: () => Either.left(Results.notInSap(user, sapId)),
                    onSome: (employee): Either.Either<Planned, UserResult> => {
                      const changeSet = diff(record, employee)
                      return isUnchanged(changeSet)
                        ? Either.left(Results.unchanged(user, changeSet))
                        : Either.right({ user, sapId, record, changeSet })
                    }
                  })
                ),
                Effect.catchAll((error) => Effect.succeed(Either.left(Results.failed(user, error))))
              )
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
              const current = yield* Effect.either(dfo.get(sapId))
              if (Either.isLeft(current)) return Results.failed(user, current.left)
              if (Option.isNone(current.right)) return Results.notInSap(user, sapId)
              changeSet = diff(planned.record, current.right.value)
              if (isUnchanged(changeSet)) return Results.unchanged(user, changeSet)
            }
            const written = yield* Effect.either(dfo.patch(sapId, changeSet.patch))
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
          plan(user, dfo.get).pipe(
            Effect.flatMap(
              Either.match({ onLeft: Effect.succeed, onRight: (p) => apply(p, false) })
            ),
            Effect.flatMap(settle)
          )

        const examineAll = (all: AllUsersRequest) =>
          Effect.gen(function* () {
            const lookup = yield* employeeLookup()
            const configured = settings.maxUpdates
            const limit = all.maxUpdates > 0 ? Math.min(configured, all.maxUpdates) : configured
            const planned: Array<Planned> = []
            const notAborted = () => abortReason === undefined

            const planPhase = directory.streamAll().pipe(
              Stream.takeWhile(notAborted),
              // takeWhile sees a whole page at once; this check is what stops new users.
              Stream.mapEffect(
                (user) => (notAborted() ? Effect.asSome(plan(user, lookup)) : Effect.succeedNone),
                { concurrency: settings.concurrency, unordered: true }
              ),
              Stream.filterMap((examined) => examined),
              Stream.mapEffect(
                Either.match({
                  onLeft: (result) => Effect.asSome(settle(result)),
                  onRight: (p) => {
                    planned.push(p)
                    // Tripping as soon as the limit is passed stops the read early
                    // and keeps the held plan no bigger than the limit.
                    return dryRun === undefined && planned.length > limit
                      ? Effect.fail(
                          new MassUpdateGuard({
                            planned: planned.length,
                            limit,
                            configuredLimit: configured,
                            requestLimit: all.maxUpdates
                          })
                        )
                      : Effect.succeedNone
                  }
                })
              ),
              Stream.filterMap((result) => result)
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
         * With SAP_BULK_LIST, one `GET {base}` read alongside the directory; an id
         * missing from it is read on its own before it counts as NOT_IN_SAP, and a
         * failed list falls back to reading each employee.
         */
        const employeeLookup = (): Effect.Effect<Lookup, never, Scope.Scope> =>
          Effect.gen(function* () {
            if (!settings.bulkList) return dfo.get
            const listing = yield* Effect.forkScoped(
              dfo.list().pipe(
                Effect.map((employees) => new Map(employees.map((e) => [e.id, e]))),
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
            return (sapId: string) =>
              Fiber.join(listing).pipe(
                Effect.flatMap((byId) => {
                  const employee = Option.flatMapNullable(byId, (map) => map.get(sapId))
                  return Option.isSome(employee) ? Effect.succeed(employee) : dfo.get(sapId)
                })
              )
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
            logOnly: request.logOnly,
            aborted: abortReason !== undefined,
            abortReason: abortReason ?? "",
            durationMs
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
                aborted: result.aborted,
                duration_ms: durationMs
              })
            )
          )
          return result
        })

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
            annotate(Effect.logError(error.message).pipe(Effect.annotateLogs("code", error.code)))
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
