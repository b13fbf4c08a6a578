/**
 * Steps 9–10 for a planned update: the pure `nextWrite` decides from what DFØ holds
 * (unchanged, stale, or send these fields) and this loop carries it out, one write between
 * an audit `intent` and `done` line, retried after a re-read while the schedule and the
 * run allow.
 */
import {
  type DfoEmployee,
  DfoLookup,
  diff,
  type PortalUser,
  SapUpdateError,
  type UserResult
} from "@dfo-writeback/domain"
import { Effect, Either, Schedule } from "effect"
import * as Audit from "../audit.js"
import * as Results from "../results.js"
import type * as Plan from "../../Plan.js"
import type { UserContext } from "./context.js"
import * as Next from "./nextWrite.js"
import type { Planned } from "./planned.js"

/** A write that failed, with what the write knew by then. */
interface Attempted {
  readonly error: SapUpdateError
  readonly state: Next.WriteState
  /** The re-read before a retry failed after its own retries: not tried again. */
  readonly reread?: true
}

/** What every step of one user's write shares. */
interface Writing {
  readonly run: UserContext
  readonly user: PortalUser
  readonly sapId: string
  readonly subject: Audit.AuditSubject
}

/**
 * An audit line that could not be written stops the run's writes at once: no user is
 * started, and a write whose intent line fails is not sent (CONTRACT §4 step 10).
 */
const lost = (w: Writing) => (error: Audit.AuditLogError) =>
  w.run.stop.abort(`${error.message}; no further writes were sent`)

/** A `done` line lost after the write: the result stands, but nothing more is sent. */
const audited = (w: Writing, line: Effect.Effect<void, Audit.AuditLogError>) =>
  Effect.catchAll(line, lost(w))

/** The user's FAILED result, counting every attempt the write made. */
const failed = (w: Writing, { error, state }: Attempted) =>
  w.run.failed(
    w.user,
    new SapUpdateError({
      sapId: w.sapId,
      status: error.status,
      faultText: error.faultText,
      attempts: Math.max(state.sent, error.attempts),
      reason: error.reason,
      transient: error.transient
    }),
    state.last
  )

/** One write of `decision`'s change set, between its audit lines. */
const send = (
  w: Writing,
  state: Next.WriteState,
  decision: Next.WriteDecision & { readonly _tag: "Send" }
): Effect.Effect<UserResult, Attempted> =>
  Effect.gen(function* () {
    const { run, user, sapId, subject } = w
    const n = decision.attempt
    const change = decision.changeSet
    // No write is sent unless its intent line is in the log (CONTRACT §4 step 10).
    const intended = yield* Effect.either(Audit.intent(subject, change, n))
    if (Either.isLeft(intended)) {
      yield* lost(w)(intended.left)
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
        audited(w, Audit.done(subject, change, n, "unknown", { reason: "interrupted" }))
      ),
      Effect.tapError((error) =>
        audited(
          w,
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
    yield* audited(w, Audit.done(subject, change, n, "written", { unheld }))
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
  w: Writing,
  state: Next.WriteState,
  current: DfoEmployee
): Effect.Effect<UserResult, Attempted> => {
  const [decision, next] = Next.nextWrite(state, current)
  switch (decision._tag) {
    case "Unchanged":
      return Effect.succeed(Results.unchanged(w.user, decision.changeSet, decision.afterUnanswered))
    case "Stale":
      return Effect.succeed(Results.stale(w.user, decision.drifted.join("; ")))
    case "Send":
      return send(w, next, decision)
  }
}

/** Before a retried write, the employee as DFØ holds it now. */
const reread = (w: Writing, state: Next.WriteState): Effect.Effect<UserResult, Attempted> =>
  w.run.counted(w.run.dfo.get(w.sapId)).pipe(
    Effect.mapError((error): Attempted => ({
      state,
      reread: true,
      error: new SapUpdateError({
        sapId: w.sapId,
        status: error.status,
        faultText: error.faultText,
        attempts: state.sent,
        reason: `the write was not confirmed, and re-reading the employee before retrying failed: ${error.reason}`,
        transient: error.transient
      })
    })),
    Effect.flatMap(
      DfoLookup.$match({
        NotFound: ({ faultText }) => Effect.succeed(Results.notInSap(w.user, w.sapId, faultText)),
        Found: ({ employee }) => step(w, state, employee)
      })
    )
  )

/**
 * After a failed write: a transient failure goes round again (re-read, decide) while the
 * schedule and the run allow; any other failure, or the last, is the user's result. The
 * schedule starts only once a write has failed: most writes succeed at once.
 */
const retried =
  (w: Writing) =>
  (first: Attempted): Effect.Effect<UserResult> =>
    Effect.flatMap(Schedule.driver(w.run.dfo.retrySchedule), (driver) => {
      const next = (attempted: Attempted): Effect.Effect<UserResult> =>
        Effect.flatMap(
          attempted.error.transient && attempted.reread === undefined
            ? w.run.stop.running
            : Effect.succeed(false),
          (again) =>
            again
              ? driver.next(attempted.error).pipe(
                  Effect.matchEffect({
                    onFailure: () => failed(w, attempted),
                    onSuccess: () => Effect.catchAll(reread(w, attempted.state), next)
                  })
                )
              : failed(w, attempted)
        )
      return next(first)
    })

/**
 * Steps 9–10 for a planned update. A dry run reports it; otherwise it is written as DFØ
 * holds it now, each retry re-reading the employee and deciding again, so a value set
 * meanwhile is kept, never overwritten (CONTRACT §4 step 10). `reviewed`: a reviewed
 * plan's user, written only while the plan holds.
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
  const w: Writing = {
    run,
    user,
    sapId,
    subject: {
      runId: run.runId,
      caller: run.caller,
      sapId,
      idautoId: user.idautoId ?? "",
      plan: run.plan
    }
  }
  return Effect.catchAll(step(w, Next.start(wanted, reviewed), planned.employee), retried(w))
}
