import {
  type Candidate,
  type ChangeSet,
  candidateOf,
  claimedKeys,
  type DfoEmployee,
  DfoLookup,
  diff,
  employeeKey,
  isUnchanged,
  type LdapConnectionError,
  type PortalUser,
  SapUpdateError,
  unheldFields,
  type UserResult
} from "@dfo-writeback/domain"
import { Effect, Either, Option, Ref, Stream } from "effect"
import * as Audit from "../audit.js"
import { drift } from "../drift.js"
import * as Results from "../results.js"
import type * as Plan from "../../Plan.js"
import type { RunContext } from "./context.js"

/** A candidate whose comparison found something to write, and what DFØ held then. */
export interface Planned {
  readonly candidate: Candidate
  readonly employee: DfoEmployee
}

/**
 * Whether a write may still go, given what DFØ holds now (a reviewed plan's drift check,
 * run again on every re-read); a result instead when it may not.
 */
type StillHolds = (current: DfoEmployee, changeSet: ChangeSet) => Option.Option<UserResult>

const alwaysHolds: StillHolds = () => Option.none()

/** How one user's write has gone so far, across its retries. */
interface WriteState {
  readonly attempts: number
  /** A write of this user got no answer (timeout, reset): DFØ may have applied it. */
  readonly unanswered: boolean
  readonly last: ChangeSet | undefined
}

/**
 * An audit line that could not be written stops the run's writes at once: no user is
 * started, and a write whose intent line fails is not sent (CONTRACT §4 step 10).
 */
const auditLost = (run: RunContext) => (error: Audit.AuditLogError) =>
  run.ledger.abort(`${error.message}; no further writes were sent`)

/**
 * Steps 9–10 for a planned update. A dry run reports it; otherwise one write of what
 * differs from `employee`, between an audit `intent` and `done` line. A transient failure
 * is retried with the client's schedule, each retry re-reading the employee and
 * recomputing the change first, so a value set meanwhile is kept, never overwritten
 * (CONTRACT §4 step 10).
 */
export const write = (
  run: RunContext,
  planned: Planned,
  stillHolds: StillHolds = alwaysHolds
): Effect.Effect<UserResult> => {
  const { user, sapId, record: wanted } = planned.candidate
  if (run.dryRun !== undefined) {
    return Effect.succeed(Results.wouldUpdate(user, diff(wanted, planned.employee), run.dryRun))
  }
  const subject = {
    runId: run.runId,
    caller: run.caller,
    sapId,
    idautoId: user.idautoId ?? "",
    plan: run.plan
  }
  const lost = auditLost(run)
  // A `done` line lost after the write: the result stands, but nothing more is sent.
  const audited = (line: Effect.Effect<void, Audit.AuditLogError>) => Effect.catchAll(line, lost)
  return Effect.gen(function* () {
    const state = yield* Ref.make<WriteState>({ attempts: 0, unanswered: false, last: undefined })

    const attempt = (current: DfoEmployee) =>
      Effect.gen(function* () {
        const changeSet = diff(wanted, current)
        const { attempts, unanswered } = yield* Ref.updateAndGet(state, (s) => ({
          ...s,
          last: changeSet
        }))
        if (isUnchanged(changeSet)) return Results.unchanged(user, changeSet, unanswered)
        const refused = stillHolds(current, changeSet)
        if (Option.isSome(refused)) return refused.value
        const n = attempts + 1
        // No write is sent unless its intent line is in the log (CONTRACT §4 step 10).
        const intended = yield* Effect.either(Audit.intent(subject, changeSet, n))
        if (Either.isLeft(intended)) {
          yield* lost(intended.left)
          return Results.failed(
            user,
            new SapUpdateError({
              sapId,
              attempts,
              reason: `not sent: ${intended.left.message}`
            }),
            changeSet
          )
        }
        yield* Ref.update(state, (s) => ({ ...s, attempts: n }))
        const answer = yield* run.counted(run.dfo.write(sapId, changeSet.patch)).pipe(
          Effect.onInterrupt(() =>
            audited(Audit.done(subject, changeSet, n, "unknown", { reason: "interrupted" }))
          ),
          Effect.tapError((error) =>
            Effect.zipRight(
              error.status === undefined
                ? Ref.update(state, (s) => ({ ...s, unanswered: true }))
                : Effect.void,
              audited(
                Audit.done(
                  subject,
                  changeSet,
                  n,
                  error.status === undefined ? "unknown" : "rejected",
                  { status: error.status, reason: error.reason }
                )
              )
            )
          )
        )
        const unheld = Option.match(answer, {
          onNone: () => [],
          onSome: (after) => unheldFields(changeSet.patch, after)
        })
        yield* audited(Audit.done(subject, changeSet, n, "written", { unheld }))
        if (unheld.length > 0) {
          return Results.failed(
            user,
            new SapUpdateError({
              sapId,
              status: 200,
              attempts: n,
              reason: `DFØ accepted the write, but afterwards ${unheld.join(", ")} ${unheld.length === 1 ? "does" : "do"} not hold the written value`
            }),
            changeSet
          )
        }
        return Results.updated(user, changeSet, Option.isSome(answer))
      })

    const reread = (attempts: number) =>
      run.counted(run.dfo.get(sapId)).pipe(
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
            NotFound: ({ faultText }) => Effect.succeed(Results.notInSap(user, sapId, faultText)),
            Found: ({ employee: current }) => attempt(current)
          })
        )
      )

    return yield* Ref.get(state).pipe(
      Effect.flatMap(({ attempts }) =>
        attempts === 0 ? attempt(planned.employee) : reread(attempts)
      ),
      Effect.retry({
        schedule: run.dfo.retrySchedule,
        while: (error) => (error.transient ? run.ledger.running : false)
      }),
      Effect.catchAll((error) =>
        Effect.flatMap(Ref.get(state), ({ attempts, last }) =>
          run.failed(
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
  })
}

/**
 * A full run's planned update: re-read just before the write, writing only what still
 * differs (CONTRACT §4): the plan may be minutes old. `claimedLater` names the entries
 * that claimed its id after it was planned; then nothing is written.
 */
export const applyPlanned = (
  run: RunContext,
  planned: Planned,
  claimedLater: (candidate: Candidate) => ReadonlyArray<string> | undefined
): Effect.Effect<UserResult> => {
  const { user, sapId } = planned.candidate
  const claims = claimedLater(planned.candidate)
  if (claims !== undefined) return Effect.succeed(Results.duplicate(user, sapId, claims))
  return run.counted(run.dfo.get(sapId)).pipe(
    Effect.flatMap(
      DfoLookup.$match({
        NotFound: ({ faultText }) => Effect.succeed(Results.notInSap(user, sapId, faultText)),
        Found: ({ employee }) => write(run, { candidate: planned.candidate, employee })
      })
    ),
    Effect.catchAll((error) => run.failed(user, error)),
    run.userSpan(user, "write")
  )
}

/** A stand-in entry for a planned user the directory no longer answers for. */
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
 * Check 6a for one user: the other entries that claim its employee (`claimedKeys`: those
 * passing checks 1–6, and those whose id alone is malformed), found with one extra search
 * as broad as a full run's claim pass.
 */
export const othersClaiming = (run: RunContext, candidate: Candidate) =>
  run.directory.findByEmployeeId(candidate.sapId).pipe(
    Effect.map((entries) =>
      entries
        .filter((other) => other.dn !== candidate.user.dn)
        .filter((other) =>
          claimedKeys(other, run.settings.rules, run.settings.mapping).includes(candidate.key)
        )
        .map((other) => other.idautoId ?? other.dn)
    )
  )

/**
 * One user of a reviewed plan: re-read by idautoID in the directory and in DFØ, then
 * written only while the plan still holds (CONTRACT §7).
 */
export const applyReviewed = (
  run: RunContext,
  planned: Plan.PlannedUser
): Effect.Effect<UserResult, LdapConnectionError> =>
  Effect.gen(function* () {
    const found = yield* run.directory.findByKey("idautoID", planned.idauto_id).pipe(
      Effect.map(Either.right),
      Effect.catchTags({
        UserNotFound: () =>
          Effect.succeed(Either.left(stale(absent(planned), "the entry is no longer in LDAP"))),
        AmbiguousKey: () =>
          Effect.succeed(
            Either.left(stale(absent(planned), "several LDAP entries now have this idautoID"))
          )
      })
    )
    if (Either.isLeft(found)) return found.left
    const user = found.right
    const candidate = candidateOf(user, run.settings.rules, run.settings.mapping)
    if (Either.isLeft(candidate)) {
      const { reason, message } = candidate.left
      return stale(user, `LDAP entry is now skipped as ${reason} (${message})`)
    }
    const c = candidate.right
    if (c.key !== employeeKey(planned.sap_id)) {
      return stale(user, `LDAP's employee id is now ${c.sapId}, the plan has ${planned.sap_id}`)
    }
    const others = yield* othersClaiming(run, c)
    if (others.length > 0) return Results.duplicate(user, c.sapId, others)
    return yield* run.counted(run.dfo.get(c.sapId)).pipe(
      Effect.flatMap(
        DfoLookup.$match({
          NotFound: ({ faultText }) => Effect.succeed(Results.notInSap(user, c.sapId, faultText)),
          Found: ({ employee }) => {
            const changeSet = diff(c.record, employee)
            const drifted = drift(planned, c.record, changeSet)
            if (drifted.length > 0) return Effect.succeed(stale(user, drifted.join("; ")))
            // A retried write re-reads DFØ: the plan must still hold then, too.
            const stillHolds: StillHolds = (_, now) => {
              const since = drift(planned, c.record, now)
              return since.length === 0 ? Option.none() : Option.some(stale(user, since.join("; ")))
            }
            return isUnchanged(changeSet)
              ? Effect.succeed(Results.unchanged(user, changeSet))
              : write(run, { candidate: c, employee }, stillHolds)
          }
        })
      ),
      Effect.catchAll((error) => run.failed(user, error))
    )
  }).pipe(run.userSpan(absent(planned), "write"))

/**
 * The apply stage over `items`, `SAP_CONCURRENCY` at a time, each result counted and
 * streamed as it ends; once the run stops, no new item is started.
 */
export const each = <A, E>(
  run: RunContext,
  items: Iterable<A>,
  f: (item: A) => Effect.Effect<UserResult, E>
): Stream.Stream<UserResult, E> =>
  Stream.fromIterable(items).pipe(
    Stream.mapEffect(
      (item) =>
        Effect.flatMap(run.ledger.running, (running) =>
          running
            ? Effect.asSome(Effect.flatMap(f(item), (result) => run.settle([result])))
            : Effect.succeedNone
        ),
      { concurrency: run.settings.concurrency, unordered: true }
    ),
    Stream.filterMap((results) => results),
    Stream.flattenChunks
  )
