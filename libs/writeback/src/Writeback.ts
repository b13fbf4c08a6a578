import { DfoEmployees, RequestTally } from "@dfo-writeback/dfo-api"
import {
  type AllUsersRequest,
  type ChangeSet,
  checkEligibility,
  countResult,
  countSkip,
  type DfoEmployee,
  DfoLookup,
  diff,
  type Eligible,
  emptyCounts,
  type EmployeeIndex,
  employeeKey,
  type Ineligible,
  isUnchanged,
  keyRefusalAdvice,
  type LdapConnectionError,
  MassUpdateGuard,
  type PortalUser,
  type RunError,
  RunStarted,
  RunSummary,
  type SapFetchError,
  SapUpdateError,
  type SkipCounts,
  unheldFields,
  type UserResult,
  type WritebackEvent,
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
import * as Audit from "./internal/audit.js"
import { drift } from "./internal/drift.js"
import * as Results from "./internal/results.js"
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

/** A user that passed checks 1–6, with the values to write and its employee key. */
interface Candidate extends Eligible {
  readonly user: PortalUser
  /** The employee id's numeric value as text: two ids are one employee when keys match. */
  readonly key: string
}

/** A candidate whose comparison found something to write, waiting for the apply phase. */
interface Planned extends Candidate {
  readonly employee: DfoEmployee
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

  const candidateOf = (user: PortalUser): Either.Either<Candidate, Ineligible> =>
    Either.map(checkEligibility(user, settings.rules, settings.mapping), (eligible) => ({
      ...eligible,
      user,
      key: employeeKey(eligible.sapId)
    }))

  const execute = (
    source: Source,
    options: ApplyOptions = {}
  ): Stream.Stream<WritebackEvent, RunError> =>
    Stream.unwrapScoped(
      Effect.gen(function* () {
        const runId = crypto.randomUUID()
        const startedAt = yield* Clock.currentTimeMillis
        const request = source._tag === "Request" ? source.request : undefined
        const processAll = request === undefined || request._tag === "AllUsers"
        const logOnly = request?.logOnly ?? false
        const dryRun = logOnly
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
        const notAborted = () => abortReason === undefined

        /**
         * A refused key (401/403/405) stops the run at once: every other user would fail
         * the same way (CONTRACT §3).
         */
        const stopOnRefusedKey = (error: SapFetchError | SapUpdateError, what: string) => {
          if (!error.keyRefused || abortReason !== undefined) return
          abortReason =
            `DFØ refused ${what} with HTTP ${error.status}: ${keyRefusalAdvice(error.status ?? 0)}; ` +
            `no further users are started`
        }

        /** A FAILED result, stopping the run when DFØ refused the key. */
        const failed = (
          user: PortalUser,
          error: SapFetchError | SapUpdateError,
          changeSet?: ChangeSet
        ) => {
          stopOnRefusedKey(
            error,
            error._tag === "SapUpdateError"
              ? `a write (${error.sapId ?? ""})`
              : `a read (${error.sapId ?? ""})`
          )
          return Results.failed(user, error, changeSet)
        }

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

        /** Counts and logs users decided without an effect each, as one chunk. */
        const settleAll = (results: ReadonlyArray<UserResult>) =>
          Effect.suspend(() => {
            const logs: Array<Effect.Effect<void>> = []
            for (const result of results) {
              const log = finish(result)
              if (log !== undefined) logs.push(log)
            }
            return annotate(Effect.all(logs, { discard: true })).pipe(
              Effect.as(Chunk.unsafeFromArray(results))
            )
          })

        /** Step 8: a final result, or a planned update. */
        const compare = (
          candidate: Candidate,
          employee: DfoEmployee
        ): Either.Either<Planned, UserResult> => {
          const changeSet = diff(candidate.record, employee)
          return isUnchanged(changeSet)
            ? Either.left(Results.unchanged(candidate.user, changeSet))
            : Either.right({ ...candidate, employee })
        }

        /**
         * The span of one user's DFØ work (a user the bulk list decides does no I/O and
         * gets none): `read`, `write`, or the whole of a `single`-user run.
         */
        const userSpan =
          (user: PortalUser, stage: "read" | "write" | "single") =>
          <A, E, R>(effect: Effect.Effect<A, E, R>) =>
            Effect.withSpan(effect, "Writeback.user", {
              attributes: {
                run_id: runId,
                stage,
                idauto_id: user.idautoId ?? "",
                sap_id: user.sapId ?? ""
              }
            })

        /** Step 7 on its own: read the employee, then compare. */
        const fetchAndCompare = (
          candidate: Candidate
        ): Effect.Effect<Either.Either<Planned, UserResult>> =>
          counted(dfo.get(candidate.sapId)).pipe(
            Effect.map(
              DfoLookup.$match({
                NotFound: ({ faultText }) =>
                  Either.left(Results.notInSap(candidate.user, candidate.sapId, faultText)),
                Found: ({ employee }) => compare(candidate, employee)
              })
            ),
            Effect.catchAll((error) => Effect.succeed(Either.left(failed(candidate.user, error)))),
            userSpan(candidate.user, "read")
          )

        /**
         * Steps 9–10 for a planned update. A dry run reports it; otherwise one write of
         * what differs from `employee`, between an audit `intent` and `done` line. A
         * transient failure is retried with the client's schedule, each retry re-reading
         * the employee and recomputing the change first, so a value set meanwhile is
         * kept, never overwritten (CONTRACT §4 step 10).
         */
        const writeUser = (
          planned: Planned,
          employee: DfoEmployee,
          /**
           * Whether the write may still go, given what DFØ holds now (a reviewed plan's
           * drift check, run again on every re-read); a result instead when it may not.
           */
          stillHolds: (current: DfoEmployee, changeSet: ChangeSet) => UserResult | undefined = () =>
            undefined
        ): Effect.Effect<UserResult> => {
          const { user, sapId, record: wanted } = planned
          const subject = { runId, caller, sapId, idautoId: user.idautoId ?? "" }
          let attempts = 0
          /** A write of this user got no answer (timeout, reset): DFØ may have applied it. */
          let unanswered = false
          let last: ChangeSet | undefined
          const attempt = (current: DfoEmployee) =>
            Effect.gen(function* () {
              const changeSet = diff(wanted, current)
              last = changeSet
              if (isUnchanged(changeSet)) return Results.unchanged(user, changeSet, unanswered)
              const refused = stillHolds(current, changeSet)
              if (refused !== undefined) return refused
              attempts += 1
              const n = attempts
              yield* Audit.intent(subject, changeSet, n)
              const answer = yield* counted(dfo.write(sapId, changeSet.patch)).pipe(
                Effect.onInterrupt(() =>
                  Audit.done(subject, changeSet, n, "unknown", { reason: "interrupted" })
                ),
                Effect.tapError((error) => {
                  if (error.status === undefined) unanswered = true
                  return Audit.done(
                    subject,
                    changeSet,
                    n,
                    error.status === undefined ? "unknown" : "rejected",
                    { status: error.status, reason: error.reason }
                  )
                })
              )
              const unheld = Option.match(answer, {
                onNone: () => [],
                onSome: (after) => unheldFields(changeSet.patch, after)
              })
              yield* Audit.done(subject, changeSet, n, "written", { unheld })
              if (unheld.length > 0) {
                return Results.failed(
                  user,
                  new SapUpdateError({
                    sapId,
                    status: 200,
                    attempts,
                    reason: `DFØ accepted the write, but afterwards ${unheld.join(", ")} ${unheld.length === 1 ? "does" : "do"} not hold the written value`
                  }),
                  changeSet
                )
              }
              return Results.updated(user, changeSet, Option.isSome(answer))
            })
          const reread = counted(dfo.get(sapId)).pipe(
            Effect.mapError(
              (error) =>
                new SapUpdateError({
                  sapId,
                  status: error.status,
                  faultText: error.faultText,
                  attempts,
                  reason: `the write was not confirmed, and re-reading the employee before retrying failed: ${error.reason}`
                })
            ),
            Effect.flatMap(
              DfoLookup.$match({
                NotFound: ({ faultText }) =>
                  Effect.succeed(Results.notInSap(user, sapId, faultText)),
                Found: ({ employee: current }) => attempt(current)
              })
            )
          )
          return Effect.suspend(() => (attempts === 0 ? attempt(employee) : reread)).pipe(
            Effect.retry({
              schedule: dfo.retrySchedule,
              while: (error) => error.transient && notAborted()
            }),
            Effect.catchAll((error) =>
              Effect.succeed(
                failed(
                  user,
                  new SapUpdateError({
                    sapId,
                    status: error.status,
                    faultText: error.faultText,
                    attempts: Math.max(attempts, error.attempts),
                    reason: error.reason
                  }),
                  last
                )
              )
            )
          )
        }

        /** A planned update in this run's mode: reported in a dry run, else written. */
        const applyPlanned = (
          planned: Planned,
          employee: DfoEmployee,
          stillHolds?: (current: DfoEmployee, changeSet: ChangeSet) => UserResult | undefined
        ) =>
          dryRun === undefined
            ? writeUser(planned, employee, stillHolds)
            : Effect.succeed(
                Results.wouldUpdate(planned.user, diff(planned.record, employee), dryRun)
              )

        /**
         * Check 6a for one user: the others the directory holds with its employee id that
         * also pass checks 1–6 (one extra search).
         */
        const othersClaiming = (candidate: Candidate) =>
          directory.findByEmployeeId(candidate.sapId).pipe(
            Effect.map((entries) =>
              entries
                .filter((other) => other.dn !== candidate.user.dn)
                .filter((other) => Either.isRight(candidateOf(other)))
                .map((other) => other.idautoId ?? other.dn)
            )
          )

        const examineOne = (user: PortalUser) =>
          Either.match(candidateOf(user), {
            onLeft: ({ reason, message }) => Effect.succeed(Results.skipped(user, reason, message)),
            onRight: (candidate) =>
              Effect.flatMap(othersClaiming(candidate), (others) =>
                others.length > 0
                  ? Effect.succeed(Results.duplicate(user, candidate.sapId, others))
                  : Effect.flatMap(
                      fetchAndCompare(candidate),
                      Either.match({
                        onLeft: Effect.succeed,
                        onRight: (planned) => applyPlanned(planned, planned.employee)
                      })
                    )
              )
          }).pipe(userSpan(user, "single"), Effect.flatMap(settle))

        const examineAll = (all: AllUsersRequest) =>
          Effect.gen(function* () {
            const listed = yield* employeeList()
            const claimedBySeveral = yield* claimedIds()
            const configured = settings.maxUpdates
            const limit = all.maxUpdates > 0 ? Math.min(configured, all.maxUpdates) : configured
            const planned: Array<Planned> = []
            /** Candidates whose id several entries claim, decided once the directory is read. */
            const held: Array<Candidate> = []
            /** The idautoID of each candidate decided so far, by employee key. */
            const seen = new Map<string, string>()
            /** Keys a later page claimed again after pass 1 (the directory changed): never written. */
            const lateClaims = new Map<string, Array<string>>()

            /** Check 6a against the candidates seen so far; the directory may change between passes. */
            const claimAgain = (candidate: Candidate): UserResult | undefined => {
              const idautoId = candidate.user.idautoId ?? candidate.user.dn
              const first = seen.get(candidate.key)
              if (first === undefined) {
                seen.set(candidate.key, idautoId)
                return undefined
              }
              const claims = lateClaims.get(candidate.key) ?? [first]
              claims.push(idautoId)
              lateClaims.set(candidate.key, claims)
              return Results.duplicate(
                candidate.user,
                candidate.sapId,
                claims.filter((c) => c !== idautoId)
              )
            }

            const guard = Effect.suspend(() =>
              // Tripping as soon as a page passes the limit stops the read early and
              // keeps the held plan within a page of the limit.
              dryRun === undefined && planned.length > limit
                ? new MassUpdateGuard({
                    planned: planned.length,
                    limit,
                    configuredLimit: configured,
                    requestLimit: all.maxUpdates
                  })
                : Effect.void
            )

            /** A planned update: held for the apply phase, or in a dry run reported now. */
            const plan = (p: Planned): Option.Option<UserResult> => {
              if (dryRun === undefined) {
                planned.push(p)
                return Option.none()
              }
              return Option.some(Results.wouldUpdate(p.user, diff(p.record, p.employee), dryRun))
            }

            /**
             * Steps 7–8 for candidates: those the DFØ list answers are decided without an
             * effect each (a nightly run is mostly unchanged users); the rest are read on
             * their own, `SAP_CONCURRENCY` at a time, each result streamed as it ends.
             */
            const decide = (
              candidates: ReadonlyArray<Candidate>
            ): Stream.Stream<UserResult, MassUpdateGuard> =>
              Stream.unwrap(
                Effect.map(listed, (known) => {
                  const local: Array<UserResult> = []
                  const remote: Array<Candidate> = []
                  for (const candidate of candidates) {
                    if (!notAborted()) break
                    const employee = Option.flatMapNullable(known, (index) =>
                      index.get(candidate.key)
                    )
                    if (Option.isNone(employee)) {
                      remote.push(candidate)
                      continue
                    }
                    const outcome = compare(candidate, employee.value)
                    if (Either.isLeft(outcome)) local.push(outcome.left)
                    else Option.map(plan(outcome.right), (r) => local.push(r))
                  }
                  const fetched = Stream.fromIterable(remote).pipe(
                    Stream.mapEffect(
                      (candidate) =>
                        notAborted()
                          ? fetchAndCompare(candidate).pipe(
                              Effect.map(Either.match({ onLeft: Option.some, onRight: plan })),
                              Effect.flatMap(
                                Option.match({
                                  onNone: () => Effect.succeedNone,
                                  onSome: (r) => Effect.asSome(settle(r))
                                })
                              )
                            )
                          : Effect.succeedNone,
                      { concurrency: settings.concurrency, unordered: true }
                    ),
                    Stream.filterMap((result) => result)
                  )
                  return Stream.fromEffect(settleAll(local)).pipe(
                    Stream.flattenChunks,
                    Stream.concat(fetched),
                    Stream.concat(Stream.drain(Stream.fromEffect(guard)))
                  )
                })
              )

            /** One page of the directory: checks 1–6 at once, check 6a, then `decide`. */
            const planPage = (page: Chunk.Chunk<PortalUser>) =>
              Stream.suspend(() => {
                const skipped: Array<UserResult> = []
                const candidates: Array<Candidate> = []
                for (const user of page) {
                  if (!notAborted()) break
                  const candidate = candidateOf(user)
                  if (Either.isLeft(candidate)) {
                    const { reason, message } = candidate.left
                    skipped.push(Results.skipped(user, reason, message))
                  } else if (claimedBySeveral.has(candidate.right.key)) {
                    held.push(candidate.right)
                  } else {
                    const duplicate = claimAgain(candidate.right)
                    if (duplicate === undefined) candidates.push(candidate.right)
                    else skipped.push(duplicate)
                  }
                }
                return Stream.fromEffect(settleAll(skipped)).pipe(
                  Stream.flattenChunks,
                  Stream.concat(decide(candidates))
                )
              })

            /**
             * Check 6a for the ids pass 1 found claimed by several entries: those claimed by
             * several candidates are all skipped, a lone candidate goes on as any other.
             */
            const decideHeld = Stream.suspend(() => {
              const byKey = new Map<string, Array<Candidate>>()
              for (const candidate of held.splice(0)) {
                const group = byKey.get(candidate.key) ?? []
                group.push(candidate)
                byKey.set(candidate.key, group)
              }
              const duplicates: Array<UserResult> = []
              const lone: Array<Candidate> = []
              for (const group of byKey.values()) {
                const [first, ...rest] = group
                if (first === undefined) continue
                if (rest.length === 0) {
                  const duplicate = claimAgain(first)
                  if (duplicate === undefined) lone.push(first)
                  else duplicates.push(duplicate)
                  continue
                }
                for (const candidate of group) {
                  const others = group
                    .filter((other) => other !== candidate)
                    .map((other) => other.user.idautoId ?? other.user.dn)
                  duplicates.push(Results.duplicate(candidate.user, candidate.sapId, others))
                }
              }
              return Stream.fromEffect(settleAll(notAborted() ? duplicates : [])).pipe(
                Stream.flattenChunks,
                Stream.concat(decide(lone))
              )
            })

            const planPhase = directory.streamAll().pipe(
              // The directory reads ahead while the DFØ list is still arriving: a bounded
              // buffer of pages, so memory stays independent of the directory's size.
              Stream.bufferChunks({ capacity: readAheadPages }),
              Stream.takeWhile(notAborted),
              Stream.mapChunks((page) => Chunk.of(page)),
              Stream.flatMap(planPage),
              Stream.concat(decideHeld)
            )

            /**
             * Every planned update re-reads its employee just before the write and writes
             * only what still differs (CONTRACT §4): the plan may be minutes old.
             */
            const applyOne = (p: Planned): Effect.Effect<UserResult> => {
              const claims = lateClaims.get(p.key)
              if (claims !== undefined) {
                const idautoId = p.user.idautoId ?? p.user.dn
                return Effect.succeed(
                  Results.duplicate(
                    p.user,
                    p.sapId,
                    claims.filter((c) => c !== idautoId)
                  )
                )
              }
              return counted(dfo.get(p.sapId)).pipe(
                Effect.flatMap(
                  DfoLookup.$match({
                    NotFound: ({ faultText }) =>
                      Effect.succeed(Results.notInSap(p.user, p.sapId, faultText)),
                    Found: ({ employee }) => writeUser(p, employee)
                  })
                ),
                Effect.catchAll((error) => Effect.succeed(failed(p.user, error))),
                userSpan(p.user, "write")
              )
            }
            const applyPhase = Stream.suspend(() => Stream.fromIterable(planned.splice(0))).pipe(
              Stream.mapEffect(
                (p) =>
                  notAborted()
                    ? Effect.asSome(Effect.flatMap(applyOne(p), settle))
                    : Effect.succeedNone,
                { concurrency: settings.concurrency, unordered: true }
              ),
              Stream.filterMap((result) => result)
            )
            return Stream.concat(planPhase, applyPhase)
          })

        /**
         * Pass 1 of a full run: the employee keys that several entries claim, from a
         * search asking only for the ids. Their candidates are held until the directory
         * has been read, so each is decided knowing every claim (CONTRACT §4 check 6a).
         */
        const claimedIds = () =>
          directory.streamEmployeeIds().pipe(
            Stream.runFold(
              { once: new Set<string>(), several: new Set<string>() },
              (acc, claim) => {
                for (const id of new Set(claim.employeeIds.map(employeeKey))) {
                  if (acc.once.has(id)) acc.several.add(id)
                  else acc.once.add(id)
                }
                return acc
              }
            ),
            Effect.map(({ several }): ReadonlySet<string> => several)
          )

        /**
         * With SAP_BULK_LIST, one `GET {base}` read alongside the directory, indexed by
         * employee key (None without it, or when it failed: then each employee is read on
         * its own). A refused key stops the run before any user is read on its own.
         */
        const employeeList = (): Effect.Effect<
          Effect.Effect<Option.Option<EmployeeIndex>>,
          never,
          Scope.Scope
        > =>
          Effect.gen(function* () {
            if (!settings.bulkList) return Effect.succeedNone
            const listing = yield* Effect.forkScoped(
              counted(dfo.list()).pipe(
                Effect.tapError((error) => {
                  stopOnRefusedKey(error, `the list of all employees (GET ${"{base}"})`)
                  return annotate(
                    error.keyRefused
                      ? Effect.logError(error.message)
                      : Effect.logWarning(
                          `reading all employees at once failed; reading each on its own: ${error.message}`
                        )
                  )
                }),
                Effect.option
              )
            )
            return Fiber.join(listing)
          })

        /** A result for a planned user the directory no longer answers for. */
        const absent = (planned: Plan.PlannedUser): PortalUser => ({
          dn: "",
          idautoId: planned.idauto_id,
          sapId: planned.sap_id,
          disabled: false,
          deleted: false,
          entitlements: [],
          businessRoles: [],
          multiValued: []
        })
        const stale = (user: PortalUser, what: string) =>
          Results.skipped(user, "PLAN_STALE", `the plan no longer holds: ${what}; nothing written`)

        /**
         * One planned user: re-read by idautoID in the directory and in DFØ, then written
         * through `writeUser` only while the plan still holds (CONTRACT §7).
         */
        const applyPlannedUser = (
          planned: Plan.PlannedUser
        ): Effect.Effect<UserResult, LdapConnectionError> =>
          Effect.gen(function* () {
            const found = yield* directory.findByKey("idautoID", planned.idauto_id).pipe(
              Effect.map((user) => ({ user })),
              Effect.catchTags({
                UserNotFound: () =>
                  Effect.succeed({
                    result: stale(absent(planned), "the entry is no longer in LDAP")
                  }),
                AmbiguousKey: () =>
                  Effect.succeed({
                    result: stale(absent(planned), "several LDAP entries now have this idautoID")
                  })
              })
            )
            if ("result" in found) return found.result
            const user = found.user
            const candidate = candidateOf(user)
            if (Either.isLeft(candidate)) {
              const { reason, message } = candidate.left
              return stale(user, `LDAP entry is now skipped as ${reason} (${message})`)
            }
            const c = candidate.right
            if (c.key !== employeeKey(planned.sap_id)) {
              return stale(
                user,
                `LDAP's employee id is now ${c.sapId}, the plan has ${planned.sap_id}`
              )
            }
            const others = yield* othersClaiming(c)
            if (others.length > 0) return Results.duplicate(user, c.sapId, others)
            return yield* counted(dfo.get(c.sapId)).pipe(
              Effect.flatMap(
                DfoLookup.$match({
                  NotFound: ({ faultText }) =>
                    Effect.succeed(Results.notInSap(user, c.sapId, faultText)),
                  Found: ({ employee }) => {
                    const changeSet = diff(c.record, employee)
                    const drifted = drift(planned, c.record, changeSet)
                    if (drifted.length > 0) return Effect.succeed(stale(user, drifted.join("; ")))
                    // A retried write re-reads DFØ: the plan must still hold then, too.
                    const stillHolds = (_: DfoEmployee, now: ChangeSet) => {
                      const since = drift(planned, c.record, now)
                      return since.length === 0 ? undefined : stale(user, since.join("; "))
                    }
                    return isUnchanged(changeSet)
                      ? Effect.succeed(Results.unchanged(user, changeSet))
                      : applyPlanned({ ...c, employee }, employee, stillHolds)
                  }
                })
              ),
              Effect.catchAll((error) => Effect.succeed(failed(user, error)))
            )
          }).pipe(userSpan(absent(planned), "write"))

        /** Every planned user, `SAP_CONCURRENCY` at a time; `maxUpdates` bounds the plan. */
        const applyAll = (plan: Plan.Plan): Stream.Stream<UserResult, RunError> => {
          const limit = options.maxUpdates ?? 0
          if (limit > 0 && plan.users.length > limit) {
            return Stream.fail(
              new MassUpdateGuard({
                planned: plan.users.length,
                limit,
                configuredLimit: settings.maxUpdates,
                requestLimit: limit
              })
            )
          }
          return Stream.fromIterable(plan.users).pipe(
            Stream.mapEffect(
              (planned) =>
                notAborted()
                  ? Effect.asSome(Effect.flatMap(applyPlannedUser(planned), settle))
                  : Effect.succeedNone,
              { concurrency: settings.concurrency, unordered: true }
            ),
            Stream.filterMap((result) => result)
          )
        }

        const users: Stream.Stream<UserResult, RunError> =
          request === undefined
            ? applyAll((source as { readonly plan: Plan.Plan }).plan)
            : request._tag === "SingleUser"
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
            logOnly,
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
              log_only: logOnly,
              read_only: settings.readOnly
            })
          )
        )

        const started = new RunStarted({
          runId,
          logOnly,
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
