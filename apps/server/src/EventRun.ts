/**
 * What the server hands the event consumer (CONTRACT §8): each event's single-user run
 * through the same program a gRPC call runs (rules, results, `audit` lines, run metrics,
 * the `Writeback.run` span), with caller `events:scim` or `events:dfo`, and what that run
 * came to as the consumer needs to know it. Single-user runs take no lease and do not pass
 * the server's full-run gate.
 */
import {
  type RunError,
  type RunSummary,
  SingleUserRequest,
  type WritebackEvent
} from "@dfo-writeback/domain"
import { EventConsumer, EventMetrics, type EventsConfig } from "@dfo-writeback/events"
import { RunMetrics, Writeback } from "@dfo-writeback/writeback"
import { Effect, Layer } from "effect"

/** A FAILED user as the consumer needs it: what to log, and whether DFØ was unreachable. */
export interface Failure {
  readonly reason: string
  /** DFØ's client called the failure transient (`UserResult.transient`). */
  readonly transient: boolean
}

/** What the consumer needs of a run's events: its failed user, if any, and its summary. */
export interface Seen {
  readonly failure: Failure | undefined
  readonly summary: RunSummary | undefined
}

const unseen: Seen = { failure: undefined, summary: undefined }

/** What the consumer has seen once `event` has passed. */
const see = (seen: Seen, event: WritebackEvent): Seen => {
  switch (event._tag) {
    case "UserResult":
      // The message already starts with the error code.
      return event.outcome === "FAILED"
        ? { ...seen, failure: { reason: event.message, transient: event.transient } }
        : seen
    case "RunSummary":
      return { ...seen, summary: event }
    case "RunStarted":
      return seen
  }
}

/** Aborts that every other person's run would meet as well (`RunMetrics.abortReasonOf`). */
const outageAborts: ReadonlySet<RunMetrics.AbortReason> = new Set([
  "key_refused",
  "dfo_unreachable"
])

/**
 * The one place a run's outcome becomes the consumer's verdict (CONTRACT §8). A refused key
 * (CONTRACT §3) or DFØ unreachable is an outage: every other person would fail alike, so
 * consumption pauses and the message goes back without spending an attempt. Whether a
 * FAILED user met an unreachable DFØ is the DFØ client's own word (its typed errors'
 * `transient`, carried on the result), never read from message text. Any other FAILED
 * user (a 4xx for that employee, a 404, a record that cannot be read) is this person's
 * failure, counted toward EVENTS_MAX_ATTEMPTS.
 */
export const verdictOf = (seen: Seen): EventConsumer.Verdict => {
  const { failure, summary } = seen
  if (
    summary?.aborted === true &&
    outageAborts.has(RunMetrics.abortReasonOf(summary.abortReason))
  ) {
    return { _tag: "Outage", reason: summary.abortReason }
  }
  if (failure === undefined) return { _tag: "Done" }
  return failure.transient
    ? { _tag: "Outage", reason: `DFØ unreachable: ${failure.reason}` }
    : { _tag: "Failed", reason: failure.reason }
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
    Effect.suspend(() => {
      let seen = unseen
      return writeback
        .runSingle(
          new SingleUserRequest({
            keyField: trigger.keyField,
            keyValue: trigger.keyValue,
            logOnly: false
          }),
          (event) =>
            Effect.sync(() => {
              seen = see(seen, event)
            }),
          { caller: `events:${trigger.source}` }
        )
        .pipe(Effect.map(() => seen))
    }).pipe(
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
