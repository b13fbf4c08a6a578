import {
  AllUsersRequest,
  type RunError,
  type SingleUserRequest,
  type WritebackEvent,
  type WritebackRequest
} from "@dfo-writeback/domain"
import { Chunk, Effect, Layer, Option, Stream } from "effect"
import * as RunMetrics from "./RunMetrics.js"
import * as Writeback from "./Writeback.js"

const attributesOf = (request: WritebackRequest) => ({
  process_all: request._tag === "AllUsers",
  log_only: request.logOnly
})

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
      Stream.withSpan("Writeback.run", { attributes: attributesOf(request) })
    )

/** `observe` for a single-user run handed out event by event (`Writeback.Service.runSingle`). */
const observeSingle = <E, R>(
  request: SingleUserRequest,
  emit: (event: WritebackEvent) => Effect.Effect<void, E, R>,
  run: (
    emit: (event: WritebackEvent) => Effect.Effect<void, E, R>
  ) => Effect.Effect<void, RunError | E, R>
): Effect.Effect<void, RunError | E, R> =>
  RunMetrics.trackEach(request, emit, (counted) =>
    run((event) =>
      event._tag === "RunStarted"
        ? Effect.zipRight(Effect.annotateCurrentSpan("run_id", event.runId), counted(event))
        : counted(event)
    )
  ).pipe(
    Effect.withSpan("Writeback.run", {
      // The call site is always this line: a stack trace would only cost (issue #21).
      captureStackTrace: false,
      attributes: attributesOf(request)
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
        runSingle: (request, emit, options) =>
          observeSingle(request, emit, (counted) => inner.runSingle(request, counted, options)),
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
