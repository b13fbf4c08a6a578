import {
  type Candidate,
  candidateOf,
  type DfoEmployee,
  DfoLookup,
  diff,
  employeeKey,
  isUnchanged,
  type LdapConnectionError,
  type PortalUser,
  SapUpdateError,
  type UserResult
} from "@dfo-writeback/domain"
import { Effect, Either, Schedule, Stream } from "effect"
import * as Audit from "../audit.js"
import { drift } from "../drift.js"
import * as Results from "../results.js"
import type * as Plan from "../../Plan.js"
import type { RunContext, UserContext } from "./context.js"
import * as InFlight from "./inFlight.js"
import * as Next from "./nextWrite.js"
import { othersClaiming, type Planned } from "./planned.js"

/**
 * An audit line that could not be written stops the run's writes at once: no user is
 * started, and a write whose intent line fails is not sent (CONTRACT §4 step 10).
 */
const auditLost = (run: UserContext) => (error: Audit.AuditLogError) =>
  run.stop.abort(`${error.message}; no further writes were sent`)

/** A write that failed, with what the write knew by then. */
interface Attempted {
  readonly error: SapUpdateError
  readonly state: Next.WriteState
  /** The re-read before a retry failed after its own retries: not tried again. */
  readonly reread?: true
}

/**
 * Steps 9–10 for a planned update. A dry run reports it; otherwise the pure `nextWrite`
 * decides from what DFØ holds (unchanged, stale, or send these fields) and this loop
 * carries it out: one write between an audit `intent` and `done` line. A transient
 * failure is retried with the client's schedule, each retry re-reading the employee and
 * deciding again, so a value set meanwhile is kept, never overwritten (CONTRACT §4
 * step 10). `reviewed`: a reviewed plan's user, written only while the plan holds.
 */
export const write = (
  run: UserContext,
  planned: Planned,
  reviewed?: Plan.PlannedUser
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

  const failed = ({ error, state }: Attempted) =>
    run.failed(
      user,
      new SapUpdateError({
        sapId,
        status: error.status,
        faultText: error.faultText,
        attempts: Math.max(state.sent, error.attempts),
        reason: error.reason,
        transient: error.transient
      }),
      state.last
    )

  /** One write of `changeSet`, between its audit lines. */
  const send = (
    state: Next.WriteState,
    changeSet: Next.WriteDecision & { readonly _tag: "Send" }
  ): Effect.Effect<UserResult, Attempted> =>
    Effect.gen(function* () {
      const n = changeSet.attempt
      const change = changeSet.changeSet
      // No write is sent unless its intent line is in the log (CONTRACT §4 step 10).
      const intended = yield* Effect.either(Audit.intent(subject, change, n))
      if (Either.isLeft(intended)) {
        yield* lost(intended.left)
        return Results.failed(
          user,
          new SapUpdateError({
            sapId,
            attempts: n - 1,
            reason: `not sent: ${intended.left.message}`
          }),
          change
        )
      }
      const answer = yield* run.counted(run.dfo.write(sapId, change.patch)).pipe(
        Effect.onInterrupt(() =>
          audited(Audit.done(subject, change, n, "unknown", { reason: "interrupted" }))
        ),
        Effect.tapError((error) =>
          audited(
            Audit.done(subject, change, n, error.status === undefined ? "unknown" : "rejected", {
              status: error.status,
              reason: error.reason
            })
          )
        ),
        Effect.mapError((error) => ({ error, state: Next.failedWith(state, error.status) }))
      )
      const outcome = Next.written(change, answer)
      const unheld = outcome._tag === "Unheld" ? outcome.fields : []
      yield* audited(Audit.done(subject, change, n, "written", { unheld }))
      if (outcome._tag === "Updated") return Results.updated(user, change, outcome.verified)
      return Results.failed(
        user,
        new SapUpdateError({
          sapId,
          status: 200,
          attempts: n,
          reason: `DFØ accepted the write, but afterwards ${unheld.join(", ")} ${unheld.length === 1 ? "does" : "do"} not hold the written value`
        }),
        change
      )
    })

  /** What DFØ holds now → the next step of the write. */
  const step = (
    state: Next.WriteState,
    current: DfoEmployee
  ): Effect.Effect<UserResult, Attempted> => {
    const [decision, next] = Next.nextWrite(state, current)
    switch (decision._tag) {
      case "Unchanged":
        return Effect.succeed(Results.unchanged(user, decision.changeSet, decision.afterUnanswered))
      case "Stale":
        return Effect.succeed(Results.stale(user, decision.drifted.join("; ")))
      case "Send":
        return send(next, decision)
    }
  }

  /** Before a retried write, the employee as DFØ holds it now. */
  const reread = (state: Next.WriteState): Effect.Effect<UserResult, Attempted> =>
    run.counted(run.dfo.get(sapId)).pipe(
      Effect.mapError((error): Attempted => ({
        state,
        reread: true,
        error: new SapUpdateError({
          sapId,
          status: error.status,
          faultText: error.faultText,
          attempts: state.sent,
          reason: `the write was not confirmed, and re-reading the employee before retrying failed: ${error.reason}`,
          transient: error.transient
        })
      })),
      Effect.flatMap(
        DfoLookup.$match({
          NotFound: ({ faultText }) => Effect.succeed(Results.notInSap(user, sapId, faultText)),
          Found: ({ employee }) => step(state, employee)
        })
      )
    )

  // The schedule starts only once a write has failed: most writes succeed at once.
  const retried = (first: Attempted): Effect.Effect<UserResult> =>
    Effect.flatMap(Schedule.driver(run.dfo.retrySchedule), (driver) => {
      // A transient failure goes round again (re-read, decide) while the schedule and the
      // run allow; any other failure, or the last, is the user's result.
      const next = (attempted: Attempted): Effect.Effect<UserResult> =>
        Effect.flatMap(
          attempted.error.transient && attempted.reread === undefined
            ? run.stop.running
            : Effect.succeed(false),
          (again) =>
            again
              ? driver.next(attempted.error).pipe(
                  Effect.matchEffect({
                    onFailure: () => failed(attempted),
                    onSuccess: () => Effect.catchAll(reread(attempted.state), next)
                  })
                )
              : failed(attempted)
        )
      return next(first)
    })
  return Effect.catchAll(step(Next.start(wanted, reviewed), planned.employee), retried)
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
          Effect.succeed(
            Either.left(Results.stale(absent(planned), "the entry is no longer in LDAP"))
          ),
        AmbiguousKey: () =>
          Effect.succeed(
            Either.left(
              Results.stale(absent(planned), "several LDAP entries now have this idautoID")
            )
          )
      })
    )
    if (Either.isLeft(found)) return found.left
    const user = found.right
    const candidate = candidateOf(user, run.settings.rules, run.settings.mapping)
    if (Either.isLeft(candidate)) {
      const { reason, message } = candidate.left
      return Results.stale(user, `LDAP entry is now skipped as ${reason} (${message})`)
    }
    const c = candidate.right
    if (c.key !== employeeKey(planned.sap_id)) {
      return Results.stale(
        user,
        `LDAP's employee id is now ${c.sapId}, the plan has ${planned.sap_id}`
      )
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
            if (drifted.length > 0) return Effect.succeed(Results.stale(user, drifted.join("; ")))
            // A retried write re-reads DFØ: the plan must still hold then, too.
            return isUnchanged(changeSet)
              ? Effect.succeed(Results.unchanged(user, changeSet))
              : write(run, { candidate: c, employee }, planned)
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
  InFlight.unordered(items, run.settings.concurrency, (item) =>
    Effect.flatMap(run.ledger.running, (running) =>
      running
        ? Effect.asSome(Effect.flatMap(f(item), (result) => run.settle([result])))
        : Effect.succeedNone
    )
  ).pipe(
    Stream.filterMap((results) => results),
    Stream.flattenChunks
  )
