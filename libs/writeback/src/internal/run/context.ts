import { type DfoEmployees, RequestTally } from "@dfo-writeback/dfo-api"
import {
  keyRefusalAdvice,
  type ChangeSet,
  type PortalUser,
  type SapFetchError,
  type SapUpdateError,
  type UserResult
} from "@dfo-writeback/domain"
import type { PortalDirectory } from "@dfo-writeback/portal-ldap"
import { Chunk, Effect, FiberRef, LogLevel } from "effect"
import type { AuditPlan } from "../audit.js"
import * as Results from "../results.js"
import type { WritebackSettings } from "../../WritebackConfig.js"
import type { Failure, Ledger, Stop } from "./ledger.js"

/** What one user's work shares with its run: its identity, its services, how it stops. */
export interface UserContext {
  readonly runId: string
  readonly caller: string
  /** The reviewed plan this run applies, for its audit lines. */
  readonly plan: AuditPlan | undefined
  readonly settings: WritebackSettings
  readonly directory: PortalDirectory.Service
  readonly dfo: DfoEmployees.DfoEmployeesService
  /** The run's ledger in a full run; a single-user run's own stop. */
  readonly stop: Stop
  /** Why nothing is written (`log-only request`, `SAP_READ_ONLY`), or `undefined`. */
  readonly dryRun: string | undefined
  /** `count`: UNCHANGED users are counted, and no result of theirs is streamed or kept. */
  readonly unchangedResults: UnchangedResults
  /** An UNCHANGED user may be counted without building its result (no debug line wants it). */
  readonly unchangedAsCount: boolean
  /** What this run asked of DFØ, for its summary. */
  readonly tally: RequestTally.RequestTally
  /** `effect` with its DFØ calls counted into this run's tally. */
  readonly counted: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** `effect` with its log lines carrying this run's id. */
  readonly annotate: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * The span of one user's DFØ work (a user the bulk list decides does no I/O and gets
   * none): `read`, `write`, or the whole of a `single`-user run.
   */
  readonly userSpan: (
    user: PortalUser,
    stage: "read" | "write" | "single"
  ) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** A FAILED result, stopping the run when DFØ refused the key. */
  readonly failed: (
    user: PortalUser,
    error: SapFetchError | SapUpdateError,
    changeSet?: ChangeSet
  ) => Effect.Effect<UserResult>
  /**
   * A refused key (401/403/405) stops the run at once: every other user would fail the
   * same way (CONTRACT §3).
   */
  readonly stopOnRefusedKey: (
    error: SapFetchError | SapUpdateError,
    what: string
  ) => Effect.Effect<void>
  /** The log lines of finished users: an error line per failure, and at debug level each. */
  readonly logResults: (
    results: ReadonlyArray<UserResult>,
    failures: ReadonlyArray<Failure>
  ) => Effect.Effect<void>
}

/** What every stage of a full run shares: a user's context, the ledger, the settling. */
export interface RunContext extends UserContext {
  readonly ledger: Ledger
  /** Counts and logs finished users, as one chunk (without UNCHANGED ones under `count`). */
  readonly settle: (results: ReadonlyArray<UserResult>) => Effect.Effect<Chunk.Chunk<UserResult>>
}

/** What becomes of UNCHANGED users' results: streamed (`emit`), or only counted (`count`). */
export type UnchangedResults = "emit" | "count"

export interface RunIdentity {
  readonly runId: string
  readonly caller: string
  readonly plan: AuditPlan | undefined
  readonly dryRun: string | undefined
  readonly unchangedResults: UnchangedResults
}

export interface Services {
  readonly settings: WritebackSettings
  readonly directory: PortalDirectory.Service
  readonly dfo: DfoEmployees.DfoEmployeesService
}

/** A single-user run's context: no ledger, no settling, only `stop`. */
export const makeUser = (
  identity: RunIdentity,
  services: Services & { readonly stop: Stop }
): Effect.Effect<UserContext> =>
  Effect.map(FiberRef.get(FiberRef.currentMinimumLogLevel), (level) => {
    const { runId } = identity
    const { stop } = services
    const debug = LogLevel.lessThanEqual(level, LogLevel.Debug)
    const tally = RequestTally.empty()
    const annotate = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.annotateLogs(effect, "run_id", runId)

    const stopOnRefusedKey = (error: SapFetchError | SapUpdateError, what: string) =>
      error.keyRefused
        ? stop.abort(
            `DFØ refused ${what} with HTTP ${error.status}: ${keyRefusalAdvice(error.status ?? 0)}; ` +
              `no further users are started`
          )
        : Effect.void

    const failed = (
      user: PortalUser,
      error: SapFetchError | SapUpdateError,
      changeSet?: ChangeSet
    ) =>
      stopOnRefusedKey(
        error,
        error._tag === "SapUpdateError"
          ? `a write (${error.sapId ?? ""})`
          : `a read (${error.sapId ?? ""})`
      ).pipe(Effect.as(Results.failed(user, error, changeSet)))

    /** The per-user debug lines, for LOG_LEVEL=debug: a full run's hot path logs nothing else. */
    const debugLines = (results: ReadonlyArray<UserResult>) =>
      Effect.forEach(
        results,
        (result) =>
          Effect.logDebug(result.message).pipe(
            Effect.annotateLogs({
              outcome: result.outcome,
              sap_id: result.sapId,
              idauto_id: result.idautoId
            })
          ),
        { discard: true }
      )

    const counting = identity.unchangedResults === "count"
    const logResults = (results: ReadonlyArray<UserResult>, failures: ReadonlyArray<Failure>) => {
      if (failures.length === 0 && !debug) return Effect.void
      const failing = new Set(failures.map((f) => f.result))
      return annotate(
        Effect.zipRight(
          Effect.forEach(
            failures,
            ({ result, tripped }) =>
              Effect.logError(result.message).pipe(
                Effect.annotateLogs({
                  code: result.errorCode,
                  sap_id: result.sapId,
                  idauto_id: result.idautoId
                }),
                Effect.zipRight(
                  // The summary's "run aborted" is the abort's one error-level line.
                  tripped === undefined
                    ? Effect.void
                    : Effect.logWarning(tripped).pipe(
                        Effect.annotateLogs("idauto_id", result.idautoId)
                      )
                )
              ),
            { discard: true }
          ),
          debug ? debugLines(results.filter((r) => !failing.has(r))) : Effect.void
        )
      )
    }

    return {
      ...identity,
      ...services,
      unchangedAsCount: counting && !debug,
      tally,
      counted: RequestTally.into(tally),
      annotate,
      userSpan:
        (user, stage) =>
        <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          Effect.withSpan(effect, "Writeback.user", {
            // A stack trace per user cost more than the rest of the span (profiled, issue #21).
            captureStackTrace: false,
            attributes: {
              run_id: runId,
              stage,
              idauto_id: user.idautoId ?? "",
              sap_id: user.sapId?.trim() ?? ""
            }
          }),
      failed,
      stopOnRefusedKey,
      logResults
    }
  })

/** A full run's context: the ledger is its stop, and settling counts through it. */
export const make = (
  identity: RunIdentity,
  services: Services & { readonly ledger: Ledger }
): Effect.Effect<RunContext> =>
  Effect.map(makeUser(identity, { ...services, stop: services.ledger }), (user) => ({
    ...user,
    ledger: services.ledger,
    settle: (results) =>
      Effect.flatMap(services.ledger.record(results), (failures) =>
        Effect.as(
          user.logResults(results, failures),
          Chunk.unsafeFromArray(
            identity.unchangedResults === "count"
              ? results.filter((result) => result.outcome !== "UNCHANGED")
              : results
          )
        )
      )
  }))
