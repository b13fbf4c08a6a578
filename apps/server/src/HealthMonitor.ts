/**
 * Health with meaning (issue #12): `dfo.writeback.v1.WritebackService` is SERVING only while
 * a fresh LDAP bind and a DFØ probe both succeed, checked in the background. A load
 * balancer or Kubernetes then stops sending calls to a server that would answer every one
 * with `LDAP_CONNECTION_FAILED` or `SAP_FETCH_FAILED`. `""` (the process) stays SERVING.
 */
import type { HealthService } from "@dfo-writeback/contract"
import { DfoEmployees } from "@dfo-writeback/dfo-api"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import { Duration, Effect, Either, type Scope } from "effect"

/**
 * Health.Watch calls open at once; more are refused with RESOURCE_EXHAUSTED. Load
 * balancers and Kubernetes poll with Check; 20 000 unauthenticated Watch calls took
 * ~290 MB.
 */
export const maxWatches = 100

/** One probe may take this long before it counts as failed; slower is not healthy. */
const probeTimeout = Duration.seconds(10)

const timedOut = () => ({ message: `no answer within ${Duration.format(probeTimeout)}` })

export interface Options {
  /** The service whose status the checks decide. */
  readonly service: string
  /** Time between the end of one check and the start of the next. */
  readonly intervalMs: number
}

/**
 * Checks once now (so the status is known when the server starts listening), then every
 * `intervalMs` for as long as the scope lives. A status change is logged with the reasons.
 */
export const make = (
  health: HealthService.HealthService,
  options: Options
): Effect.Effect<
  void,
  never,
  PortalDirectory.PortalDirectory | DfoEmployees.DfoEmployees | Scope.Scope
> =>
  Effect.gen(function* () {
    const directory = yield* PortalDirectory.PortalDirectory
    const dfo = yield* DfoEmployees.DfoEmployees
    const probe = <E extends { readonly message: string }>(
      name: string,
      effect: Effect.Effect<void, E>
    ) =>
      effect.pipe(
        Effect.timeoutFail({ duration: probeTimeout, onTimeout: timedOut }),
        Effect.either,
        Effect.map(Either.match({ onLeft: (e) => [`${name}: ${e.message}`], onRight: () => [] }))
      )

    const check = Effect.gen(function* () {
      const problems = (yield* Effect.all(
        [probe("ldap", directory.check()), probe("dfo", dfo.probe())],
        { concurrency: 2 }
      )).flat()
      const next = problems.length === 0 ? "SERVING" : "NOT_SERVING"
      const before = health.getStatus(options.service)
      health.setStatus(options.service, next)
      // While draining the registry keeps NOT_SERVING whatever the checks say.
      if (health.getStatus(options.service) === before) return
      const line =
        next === "SERVING"
          ? Effect.logInfo("health: SERVING")
          : Effect.logWarning("health: NOT_SERVING")
      yield* line.pipe(
        Effect.annotateLogs({
          service: options.service,
          ...(problems.length > 0 ? { problems } : {})
        })
      )
      // No trace: a check every few seconds would bury the runs' traces (issue #20).
    }).pipe(Effect.withTracerEnabled(false))

    // Refused Watch calls come from any caller, Health needs no token: one line per
    // interval with their count, never one line each.
    const reportRefusedWatches = Effect.suspend(() => {
      const refused = health.takeRefusedWatches()
      return refused === 0
        ? Effect.void
        : Effect.logWarning("health: Watch calls refused").pipe(
            Effect.annotateLogs({
              refused,
              max_watches: health.maxWatches,
              interval_ms: options.intervalMs
            })
          )
    })

    yield* check
    yield* Effect.zipRight(check, reportRefusedWatches).pipe(
      Effect.delay(Duration.millis(options.intervalMs)),
      Effect.forever,
      Effect.forkScoped
    )
  })
