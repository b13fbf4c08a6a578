import {
  type Candidate,
  compare,
  claimedEmployeeKeys,
  type Compared,
  DfoLookup,
  type EmployeeIndex,
  type LdapConnectionError,
  type PageDecision,
  PagePlanner,
  type UserResult
} from "@dfo-writeback/domain"
import { Chunk, Effect, Either, Fiber, Option, type Scope, Stream } from "effect"
import * as Results from "../results.js"
import * as Claims from "./claims.js"
import * as InFlight from "./inFlight.js"
import * as Incremental from "./incremental.js"
import type { RunContext, UserContext } from "./context.js"
import type { Planned } from "./planned.js"

/**
 * What the decide stage hands on, in order: results as they are decided, planned writes
 * (a real run's, held by the guard), a checkpoint after each page (where the guard may
 * trip), and last `Complete`.
 */
export type Step =
  | { readonly _tag: "Results"; readonly results: Chunk.Chunk<UserResult> }
  | { readonly _tag: "Planned"; readonly planned: Planned }
  /** Planned writes a later claim has stopped: the guard no longer counts them. */
  | { readonly _tag: "Withdrawn"; readonly count: number }
  | { readonly _tag: "Checkpoint" }
  | {
      readonly _tag: "Complete"
      /** The entries that claimed a planned id after it was planned: then it is not written. */
      readonly claimedLater: (candidate: Candidate) => ReadonlyArray<string> | undefined
    }

/** Pages of the directory read ahead of the planning (8 × PORTAL_LDAP_PAGE_SIZE users). */
const readAheadPages = 8

const checkpoint: Step = { _tag: "Checkpoint" }

/**
 * Step 8's answer: UNCHANGED; or a change, in a dry run reported now as WOULD_UPDATE (no
 * plan is held), else a planned write.
 */
const settleCompared = (
  run: UserContext,
  decision: Compared
): Either.Either<Planned, UserResult> => {
  const { candidate } = decision
  if (decision._tag === "Unchanged") {
    return Either.left(Results.unchanged(candidate.user, decision.changeSet))
  }
  return run.dryRun === undefined
    ? Either.right({ candidate, employee: decision.employee })
    : Either.left(Results.wouldUpdate(candidate.user, decision.changeSet, run.dryRun))
}

/**
 * Step 7 on its own: read the employee, then compare, in the caller's user span (a
 * single-user run's; `read` opens one for a full run's user).
 */
export const readInSpan = (
  run: UserContext,
  candidate: Candidate
): Effect.Effect<Either.Either<Planned, UserResult>> =>
  run.counted(run.dfo.get(candidate.sapId)).pipe(
    Effect.map(
      DfoLookup.$match({
        NotFound: ({ faultText }) =>
          Either.left(Results.notInSap(candidate.user, candidate.sapId, faultText)),
        Found: ({ employee }) => settleCompared(run, compare(candidate, employee))
      })
    ),
    Effect.catchAll((error) => Effect.map(run.failed(candidate.user, error), Either.left))
  )

/** Step 7 on its own for a full run's user: read the employee, then compare, in a user span. */
export const read = (
  run: UserContext,
  candidate: Candidate
): Effect.Effect<Either.Either<Planned, UserResult>> =>
  readInSpan(run, candidate).pipe(run.userSpan(candidate.user, "read"))

/**
 * Steps 7–8 for a page's decisions: those DFØ's list answered are counted as one chunk
 * (a nightly run is mostly unchanged users); the rest are read on their own,
 * `SAP_CONCURRENCY` at a time, each counted as it ends; then a checkpoint. `Claims`
 * says which results stream now.
 */
const decide = (
  run: RunContext,
  claims: Claims.Claims,
  decisions: ReadonlyArray<PageDecision>
): Stream.Stream<Step> => {
  const results: Array<UserResult> = []
  const decided: Array<Claims.Decided> = []
  const unchanged: Array<Candidate> = []
  const withdrawn = claims.withdrawn()
  const planned: Array<Step> = withdrawn === 0 ? [] : [{ _tag: "Withdrawn", count: withdrawn }]
  const reads: Array<Candidate> = []
  for (const decision of decisions) {
    switch (decision._tag) {
      case "Ineligible":
        results.push(
          Results.skipped(decision.user, decision.ineligible.reason, decision.ineligible.message)
        )
        break
      case "Duplicate": {
        const { candidate, others } = decision
        decided.push({
          candidate,
          result: Results.duplicate(candidate.user, candidate.sapId, others)
        })
        break
      }
      case "Unchanged":
      case "Change":
        // The nightly run's common case: with no one listening, a count, not an object.
        if (decision._tag === "Unchanged" && run.unchangedAsCount) {
          unchanged.push(decision.candidate)
          break
        }
        Either.match(settleCompared(run, decision), {
          onLeft: (result) => decided.push({ candidate: decision.candidate, result }),
          onRight: (p) => {
            if (claims.plan(p)) planned.push({ _tag: "Planned", planned: p })
          }
        })
        break
      case "Read":
        reads.push(decision.candidate)
        break
      case "Held":
        break
    }
  }
  const settled = Stream.fromEffect(
    Effect.map(claims.settle(results, decided, unchanged), (chunk): Step => ({
      _tag: "Results",
      results: chunk
    }))
  )
  return settled.pipe(
    Stream.concat(Stream.fromIterable(planned)),
    Stream.concat(reads.length === 0 ? Stream.empty : readEach(run, claims, reads)),
    Stream.concat(Stream.make(checkpoint))
  )
}

/** Candidates the list does not answer for, read on their own, each streamed as it ends. */
const readEach = (
  run: RunContext,
  claims: Claims.Claims,
  reads: ReadonlyArray<Candidate>
): Stream.Stream<Step> =>
  InFlight.unordered(reads, run.settings.concurrency, (candidate) =>
    Effect.flatMap(run.ledger.running, (running) =>
      running
        ? Effect.flatMap(read(run, candidate), (outcome) =>
            Either.isRight(outcome)
              ? Effect.succeed(
                  claims.plan(outcome.right)
                    ? Option.some<Step>({ _tag: "Planned", planned: outcome.right })
                    : Option.none()
                )
              : Effect.map(claims.settle([], [{ candidate, result: outcome.left }], []), (chunk) =>
                  Option.some<Step>({ _tag: "Results", results: chunk })
                )
          )
        : Effect.succeedNone
    )
  ).pipe(Stream.filterMap((step) => step))

/** Elements while the run has not stopped; stops reading upstream once it has. */
const whileRunning =
  (run: RunContext) =>
  <A, E, R>(stream: Stream.Stream<A, E, R>): Stream.Stream<A, E, R> =>
    stream.pipe(
      Stream.mapEffect((a) =>
        Effect.map(run.ledger.running, (running) => (running ? Option.some(a) : Option.none()))
      ),
      Stream.takeWhile(Option.isSome),
      Stream.map((a) => a.value)
    )

/**
 * Pass 1 of a dry run, and of an incremental run with many changed entries: the employee
 * keys that several entries claim, from a search asking only for the ids. Their
 * candidates are held until the directory has been read, so each is decided knowing
 * every claim (CONTRACT §4 check 6a) while the rest stream as decided. A real full run
 * does without it (`Claims`), and so does an incremental run with a few changed entries
 * (`Incremental.confirmAlone`).
 */
const claimedIds = (run: RunContext) =>
  run.directory.streamEmployeeIds().pipe(
    Stream.runFold({ once: new Set<string>(), several: new Set<string>() }, (acc, claim) => {
      for (const id of new Set(claim.employeeIds.flatMap(claimedEmployeeKeys))) {
        if (acc.once.has(id)) acc.several.add(id)
        else acc.once.add(id)
      }
      return acc
    }),
    Effect.map(({ several }): ReadonlySet<string> => several)
  )

/**
 * With SAP_BULK_LIST, one `GET {base}` read alongside the directory (`undefined` without
 * it, or when it failed). A refused key, or DFØ unreachable (no connection, no answer in
 * time, transient answers after every retry), stops the run before any user is read on
 * its own: each of those reads would meet the same wall, one timeout and retries at a
 * time. A list DFØ answered but that cannot be used (malformed, too large, another
 * status) falls back to reading each employee on its own, each answer checked by itself.
 */
const employeeList = (
  run: RunContext,
  wanted: boolean
): Effect.Effect<Effect.Effect<EmployeeIndex | undefined>, never, Scope.Scope> => {
  if (!wanted) return Effect.succeed(Effect.succeed(undefined))
  return Effect.map(
    Effect.forkScoped(
      run.counted(run.dfo.list()).pipe(
        Effect.tapError((error) =>
          Effect.zipRight(
            error.transient
              ? run.ledger.abort(
                  `DFØ unreachable: GET ${run.dfo.endpoint} (the list of all employees) ` +
                    `failed: ${error.message}; no user is read on its own`
                )
              : run.stopOnRefusedKey(error, `the list of all employees (GET ${"{base}"})`),
            run.annotate(
              // A refused key or an unreachable DFØ aborts the run: its summary is the one
              // error-level line.
              Effect.logWarning(
                error.keyRefused || error.transient
                  ? error.message
                  : `reading all employees at once failed; reading each on its own: ${error.message}`
              )
            )
          )
        ),
        Effect.option,
        Effect.map(Option.getOrUndefined)
      )
    ),
    Fiber.join
  )
}

/**
 * The decide stage of a full run: the directory page by page through the pure
 * `PagePlanner` (checks 1–8), the DFØ list read alongside; a dry run's results
 * stream as they are decided, a real run's once every claim is known (`Claims`).
 * Memory is bounded by the read-ahead pages, the list's index and a real run's held
 * results. An incremental run (`changedSince`) reads only the entries changed since,
 * but checks 6a against the whole directory (`Incremental`): with a few changed, one
 * search for each of their candidates, as a single-user run makes; with many, the pass
 * over every id, and a search for each held candidate left alone in the window.
 */
export const all = (
  run: RunContext,
  changedSince?: Date
): Stream.Stream<Step, LdapConnectionError> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const changed =
        changedSince === undefined ? undefined : yield* Incremental.changed(run, changedSince)
      if (changed !== undefined) {
        yield* run.annotate(
          Effect.logInfo(
            changed.many
              ? `more than ${Incremental.listThreshold} entries changed: reading DFØ's list of all employees`
              : `at most ${Incremental.listThreshold} entries changed: searches for other claimants of their ids, one read of each employee`
          )
        )
      }
      const onePass = run.dryRun === undefined && changed === undefined
      // A few changed entries are checked by searches for their ids (50 to a search):
      // reading every id of the directory instead cost 16–35 % of a full run's time at
      // 50 000 entries (#22).
      const searchEach = changed !== undefined && !changed.many
      const claimedBySeveral = onePass || searchEach ? new Set<string>() : yield* claimedIds(run)
      const listed = yield* employeeList(run, run.settings.bulkList && (changed?.many ?? true))
      const planner = new PagePlanner({
        rules: run.settings.rules,
        mapping: run.settings.mapping,
        claimedBySeveral
      })
      const claims = Claims.make(run, onePass ? planner : undefined)
      const checked = (decisions: Array<PageDecision>) =>
        searchEach ? Incremental.confirmAlone(run, decisions) : Effect.succeed(decisions)
      const pages = (changed?.entries ?? run.directory.streamAll()).pipe(
        // The directory reads ahead while the DFØ list is still arriving: a bounded
        // buffer of pages, so memory stays independent of the directory's size.
        Stream.bufferChunks({ capacity: readAheadPages }),
        Stream.mapChunks((page) => Chunk.of(page)),
        whileRunning(run),
        Stream.flatMap((page) =>
          Stream.unwrap(
            Effect.flatMap(listed, (index) =>
              Effect.map(checked(planner.page(page, index)), (decisions) =>
                decide(run, claims, decisions)
              )
            )
          )
        )
      )
      const held = Stream.unwrap(
        Effect.flatMap(Effect.zip(listed, run.ledger.running), ([index, running]) =>
          !running
            ? Effect.succeed(Stream.empty)
            : changed === undefined
              ? Effect.succeed(decide(run, claims, planner.settleHeld(index)))
              : Effect.map(Incremental.confirmAlone(run, planner.settleHeld(index)), (decisions) =>
                  decide(run, claims, decisions)
                )
        )
      )
      const released = Stream.fromEffect(
        Effect.map(claims.release, (results): Step => ({ _tag: "Results", results }))
      )
      const complete: Step = {
        _tag: "Complete",
        claimedLater: (candidate) => planner.claimedLater(candidate)
      }
      return pages.pipe(
        Stream.concat(held),
        Stream.concat(released),
        Stream.concat(Stream.make(complete))
      )
    })
  )
