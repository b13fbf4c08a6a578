/**
 * What the server hands the event consumer (CONTRACT §8): each event's single-user run
 * through the same program a gRPC call runs (rules, results, `audit` lines, run metrics,
 * the `Writeback.run` span), with caller `events:scim` or `events:dfo`, and what that run
 * came to as the consumer needs to know it. Single-user runs take no lease and do not pass
 * the server's full-run gate.
 */
import { type RunError, type RunSummary, SingleUserRequest } from "@dfo-writeback/domain"
import { EventConsumer, EventMetrics, type EventsConfig } from "@dfo-writeback/events"
import { RunMetrics, Writeback } from "@dfo-writeback/writeback"
import { Effect, Layer, Stream } from "effect"

/** What the consumer needs of a run's events: its failed user, if any, and its summary. */
export interface Seen {
  readonly failure: string | undefined
  readonly summary: RunSummary | undefined
}

const unseen: Seen = { failure: undefined, summary: undefined }

/**
 * A refused key (CONTRACT §3) aborts the run with the same kind `dfo_writeback_run_aborts`
 * counts (`RunMetrics.abortReasonOf`, one classifier for both): every other person would
 * fail alike, so consumption pauses. Any other FAILED user is this person's failure.
 */
export const verdictOf = (seen: Seen): EventConsumer.Verdict => {
  const { summary } = seen
  if (
    summary?.aborted === true &&
    RunMetrics.abortReasonOf(summary.abortReason) === "key_refused"
  ) {
    return { _tag: "Outage", reason: summary.abortReason }
  }
  if (seen.failure !== undefined) return { _tag: "Failed", reason: seen.failure }
  return { _tag: "Done" }
}

/** A run-level error: LDAP unreachable pauses; a key nobody (or several) has is an answer. */
export const verdictOfError = (error: RunError): EventConsumer.Verdict => {
  switch (error._tag) {
    case "LdapConnectionError":
      return { _tag: "Outage", reason: error.message }
    case "UserNotFound":
    case "AmbiguousKey":
    case "InvalidRequest":
    case "MassUpdateGuard":
      // Logged by the run itself (info or warning); acknowledged.
      return { _tag: "Done" }
  }
}

/** The consumer's `RunEvent` over the program. */
export const make: Effect.Effect<EventConsumer.RunEvent, never, Writeback.Service> = Effect.map(
  Writeback.Service,
  (writeback) => (trigger) =>
    writeback
      .run(
        new SingleUserRequest({
          keyField: trigger.keyField,
          keyValue: trigger.keyValue,
          logOnly: false
        }),
        { caller: `events:${trigger.source}` }
      )
      .pipe(
        Stream.runFold(unseen, (seen, event): Seen => {
          switch (event._tag) {
            case "UserResult":
              return event.outcome === "FAILED"
                ? { ...seen, failure: `${event.errorCode ?? "FAILED"}: ${event.message}` }
                : seen
            case "RunSummary":
              return { ...seen, summary: event }
            case "RunStarted":
              return seen
          }
        }),
        Effect.map(verdictOf),
        Effect.catchAll((error) => Effect.succeed(verdictOfError(error)))
      )
)

/**
 * The consumer over the program, its series at 0 from the start (as the run metrics are),
 * for as long as the layer lives.
 */
export const layer = (
  options: EventsConfig.EventsOptions
): Layer.Layer<EventConsumer.EventConsumer, never, Writeback.Service> =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      yield* EventMetrics.zeros
      yield* Effect.logInfo("events: consuming").pipe(
        Effect.annotateLogs({
          // Queue names only: the URL carries the broker's password.
          scim_queue: options.scimQueue ?? "",
          dfo_queue: options.dfoQueue ?? "",
          debounce_ms: options.debounceMs,
          prefetch: options.prefetch,
          max_attempts: options.maxAttempts
        })
      )
      return EventConsumer.layer(options, yield* make)
    })
  )
