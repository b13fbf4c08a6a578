import { DfoMetrics } from "@dfo-writeback/dfo-api"
import { LogFormat } from "@dfo-writeback/edge"
import type { Writeback } from "@dfo-writeback/writeback"
import { Clock, Effect, type Layer, Logger, LogLevel } from "effect"
import type * as CutWrites from "./CutWrites.js"
import type * as Output from "./Output.js"
import * as RunView from "./RunView.js"

/**
 * A run cut short sent no summary: each write in flight is listed on stderr and in the
 * log (no log level silences it) as "outcome unknown, check DFØ", counted as a failed
 * update, and the summary says what is known, DFØ's requests included.
 */
export const summarize = (
  view: RunView.View,
  context: {
    /** What the run had counted when it was cut, when it tells (a full run). */
    readonly counted: Writeback.Counted | undefined
    readonly writes: ReadonlyArray<CutWrites.Write>
    readonly output: Output.Output
    readonly logger: Layer.Layer<never>
    readonly startedAt: number
    readonly logOnly: boolean
    readonly caller: string
  }
): Effect.Effect<RunView.View> =>
  Effect.gen(function* () {
    const { output, writes } = context
    const step = RunView.step(RunView.keepNone)
    const after = step(
      context.counted === undefined
        ? view
        : step(view, { _tag: "Counted", counted: context.counted }),
      { _tag: "Cut", writes }
    )
    for (const write of writes) {
      output.error(
        `writeback: outcome unknown, check DFØ: employee ${LogFormat.escapeControl(write.sapId)} ` +
          `(idautoID ${LogFormat.escapeControl(write.idautoId)}): its write was cut mid-request`
      )
    }
    yield* Effect.forEach(
      writes,
      (write) =>
        Effect.logWarning("outcome unknown, check DFØ: the write was cut mid-request").pipe(
          Effect.annotateLogs({
            outcome_unknown: true,
            run_id: view.runId,
            sap_id: write.sapId,
            idauto_id: write.idautoId
          }),
          Logger.withMinimumLogLevel(LogLevel.Info),
          Effect.catchAllDefect(() => Effect.void)
        ),
      { discard: true }
    ).pipe(Effect.provide(context.logger))
    // One run a process: the client's process-wide counters are this run's requests.
    const dfo = yield* DfoMetrics.totals
    const summary = RunView.cutSummary(after, {
      dfoRequests: dfo.requests.GET + dfo.requests.PUT + dfo.requests.PATCH,
      dfoRetries: dfo.retries,
      dfoRateLimited: dfo.rateLimited,
      logOnly: context.logOnly,
      durationMs: (yield* Clock.currentTimeMillis) - context.startedAt,
      caller: context.caller
    })
    const summarized = step(after, summary)
    output.event(summary, summarized)
    return summarized
  })
