import {
  type Candidate,
  candidateOf,
  DfoLookup,
  diff,
  employeeKey,
  isUnchanged,
  type LdapConnectionError,
  type PortalUser,
  type UserResult
} from "@dfo-writeback/domain"
import { Effect, Either, Stream } from "effect"
import { drift } from "../drift.js"
import * as Results from "../results.js"
import type * as Plan from "../../Plan.js"
import type { RunContext } from "./context.js"
import * as InFlight from "./inFlight.js"
import { othersClaiming, type Planned } from "./planned.js"
import { write } from "./write.js"

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
