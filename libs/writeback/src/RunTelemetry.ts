import {
  AllUsersRequest,
  type RunError,
  type WritebackEvent,
  type WritebackRequest
} from "@dfo-writeback/domain"
import { Chunk, Effect, Layer, Option, Stream } from "effect"
import * as RunMetrics from "./RunMetrics.js"
import * as Writeback from "./Writeback.js"

/**
 * A run as operators see it: a `Writeback.run` span around the whole stream (the run's log
 * lines carry its `trace_id`) and the run metrics of `RunMetrics.track`.
 */
export const observe =
  (request: WritebackRequest, kind: RunMetrics.RunKind = RunMetrics.kindOf(request)) =>
  <R>(
    events: Stream.Stream<WritebackEvent, RunError, R>
  ): Stream.Stream<WritebackEvent, RunError, R> =>
    events.pipe(
      // Per chunk, not per event: a full run streams tens of thousands of results.
      Stream.mapChunksEffect((chunk) => {
        const started = Chunk.findFirst(chunk, (event) => event._tag === "RunStarted")
        return Option.isSome(started) && started.value._tag === "RunStarted"
          ? Effect.as(Effect.annotateCurrentSpan("run_id", started.value.runId), chunk)
          : Effect.succeed(chunk)
      }),
      RunMetrics.track(request, kind),
      Stream.withSpan("Writeback.run", {
        attributes: {
          process_all: request._tag === "AllUsers",
          log_only: request.logOnly
        }
      })
    )

/**
 * The writeback program with every run observed (`observe`), and every run and user series
 * present at 0 from the start (`RunMetrics.zeros`): provide it over `Writeback.layer` in the
 * apps.
 */
export const instrument: Layer.Layer<Writeback.Service, never, Writeback.Service> = Layer.effect(
  Writeback.Service,
  Effect.zipRight(
    RunMetrics.zeros,
    Effect.map(Writeback.Service, (inner) =>
      Writeback.Service.of({
        run: (request, options) => inner.run(request, options).pipe(observe(request)),
        // Applying a plan writes, but a few reviewed users are no full run: kind `apply`
        // never moves the full-run figures, so it cannot hide a failed night.
        apply: (plan, options) =>
          inner
            .apply(plan, options)
            .pipe(observe(new AllUsersRequest({ logOnly: false, maxUpdates: 0 }), "apply"))
      })
    )
  )
)
