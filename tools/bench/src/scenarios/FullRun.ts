/**
 * One full run (`process_all`) of the writeback program in-process, built from the
 * contract's environment like the CLI builds it and run as the CLI runs it for a person
 * (`unchangedResults: "count"`: UNCHANGED users are counted, not streamed), drained to
 * its summary. With `changedSinceSeconds`, an incremental run (`--changed-since`).
 */
import { DfoMetrics } from "@dfo-writeback/dfo-api"
import { AllUsersRequest, type RunSummary } from "@dfo-writeback/domain"
import { Writeback } from "@dfo-writeback/writeback"
import { Effect, Stream } from "effect"
import { environment, programLayer, silentJsonLogs } from "../internal/program.js"
import type { DfoBackend, LdapBackend, Measured } from "../internal/protocol.js"
import { timed } from "../internal/timed.js"

export const fullRun = (
  ldap: LdapBackend,
  dfo: DfoBackend,
  overrides: Readonly<Record<string, string>>,
  changedSinceSeconds?: number
): Effect.Effect<Measured, unknown> => {
  const logs = silentJsonLogs()
  return Effect.gen(function* () {
    const writeback = yield* Writeback.Service
    let summary: RunSummary | undefined
    const [elapsed] = yield* timed(
      Stream.runForEach(
        writeback.run(
          new AllUsersRequest({
            logOnly: false,
            maxUpdates: 0,
            changedSinceSeconds: changedSinceSeconds ?? 0
          }),
          {
            unchangedResults: "count"
          }
        ),
        (event) =>
          Effect.sync(() => {
            if (event._tag === "RunSummary") summary = event
          })
      )
    )
    if (summary === undefined) return yield* Effect.dieMessage("the run ended without a summary")
    // Process-wide counters: a scenario runs alone in its process.
    const stats = yield* DfoMetrics.totals
    return {
      ...elapsed,
      users: summary.total,
      retries: stats.retries,
      metrics: {
        total: summary.total,
        skipped: summary.skipped,
        unchanged: summary.unchanged,
        updated: summary.updated,
        failed: summary.updateFailed + summary.fetchFailed,
        aborted: summary.aborted ? 1 : 0,
        clientGets: stats.requests.GET,
        clientPatches: stats.requests.PUT,
        logLines: logs.lines()
      }
    }
  }).pipe(
    Effect.provide(programLayer(environment(ldap, dfo, overrides))),
    Effect.provide(logs.layer)
  )
}
