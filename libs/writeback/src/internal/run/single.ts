import {
  candidateOf,
  type LdapConnectionError,
  type PortalUser,
  RunStarted,
  type SingleUserRequest,
  type UserResult
} from "@dfo-writeback/domain"
import { Clock, Effect, Either } from "effect"
import * as Results from "../results.js"
import type { RunOptions } from "../../Writeback.js"
import { makeUser, type Services, type UserContext } from "./context.js"
import * as Decide from "./decide.js"
import * as Ledger from "./ledger.js"
import { othersClaiming } from "./planned.js"
import { dryRunOf, logCancelled, logRunError, logStarted } from "./runLog.js"
import { stoppable } from "./stopSignal.js"
import * as Summary from "./summary.js"
import { write } from "./write.js"

/**
 * Checks 1–10 for one entry as one effect: no stream, ledger, page planner or settling
 * (issue #21: they cost about 1.5 ms of a 3.6 ms single-user run). The same rules as a
 * full run's: check 6a with one extra search, step 7 with one read, and a write that
 * re-reads before each retry.
 */
export const one = (
  run: UserContext,
  user: PortalUser
): Effect.Effect<UserResult, LdapConnectionError> =>
  Either.match(candidateOf(user, run.settings.rules, run.settings.mapping), {
    onLeft: ({ reason, message }) => Effect.succeed(Results.skipped(user, reason, message)),
    onRight: (candidate) =>
      Effect.flatMap(othersClaiming(run, candidate), (others) =>
        others.length > 0
          ? Effect.succeed(Results.duplicate(user, candidate.sapId, others))
          : Effect.flatMap(
              Decide.readInSpan(run, candidate),
              Either.match({
                onLeft: Effect.succeed,
                onRight: (planned) => write(run, planned)
              })
            )
      )
  }).pipe(run.userSpan(user, "single"))

/**
 * A single-user run (CONTRACT §4 for one entry): its `RunStarted`, then the rest as one
 * effect, with the same events, rules, audit lines and summary as a full run, without its
 * stream of stages, ledger or settling.
 */
export const start = (
  services: Services,
  request: SingleUserRequest,
  options: Pick<RunOptions, "caller" | "stop">
) => {
  const { settings, directory } = services
  const runId = crypto.randomUUID()
  const { logOnly } = request
  const identity = {
    runId,
    caller: options.caller ?? "",
    plan: undefined,
    dryRun: dryRunOf(logOnly, settings.readOnly),
    // One user, one result: the caller asked for it.
    unchangedResults: "emit" as const
  }
  const rest = Effect.gen(function* () {
    const startedAt = yield* Clock.currentTimeMillis
    const stop = yield* Ledger.makeStop
    const run = yield* makeUser(identity, { ...services, stop })
    yield* logStarted(run, { processAll: false, logOnly })
    const result = yield* directory.findByKey(request.keyField, request.keyValue).pipe(
      Effect.flatMap((user) => stoppable(one(run, user), options.stop, stop)),
      Effect.tapError((error) => run.annotate(logRunError(error)))
    )
    // The ledger's rules for one result: its counts, and a failure streak of one.
    const [state, failure] = Ledger.record(
      { ...Ledger.emptyLedger, abortReason: yield* stop.reason },
      result,
      settings.abortAfterConsecutiveFailures
    )
    yield* run.logResults([result], failure === undefined ? [] : [failure])
    const summary = yield* Summary.summarize(run, state, { startedAt, logOnly })
    return [result, summary] as const
  }).pipe(Effect.onInterrupt(() => logCancelled(runId)))
  // Typed values only: the class's validation would repeat the compiler's (8 µs a run).
  const started = new RunStarted(
    { runId, logOnly, readOnly: settings.readOnly, processAll: false },
    true
  )
  return { started, rest }
}
