/**
 * `WritebackService.Writeback`: validates the request, runs the writeback program and writes
 * each event to the call as it happens, then ends the call with CONTRACT §5's status.
 */
import {
  fromProtoRequest,
  type GrpcService,
  toProtoEvent,
  type WritebackService
} from "@dfo-writeback/contract"
import { type RunSummary, validateRequest, type WritebackEvent } from "@dfo-writeback/domain"
import type { Lease } from "@dfo-writeback/lease"
import { Plan, Writeback } from "@dfo-writeback/writeback"
import * as grpc from "@grpc/grpc-js"
import { Cause, Duration, Effect, Either, Exit, Option, Stream } from "effect"
import { callerOf } from "./Auth.js"
import * as Callers from "./Callers.js"
import { runIdHeader } from "./CallLog.js"
import * as RunGate from "./RunGate.js"
import {
  PermissionDenied,
  RunAborted,
  RunTooLong,
  ShuttingDown,
  StreamStalled
} from "./ServerError.js"
import { type CallError, type CallStatus, toStatus } from "./StatusMapping.js"

/** The grpc-js call of one Writeback RPC. */
export type Call = Parameters<GrpcService.Handlers<typeof WritebackService>["writeback"]>[0]

/** The grpc-js call of one Apply RPC. */
export type ApplyCall = Parameters<GrpcService.Handlers<typeof WritebackService>["apply"]>[0]

/** Either call: both stream `WritebackEvent`s. */
type AnyCall = Call | ApplyCall

/** What `Apply` checks a plan against (CONTRACT §7): this server's settings and maximum age. */
export interface PlanCheck {
  readonly plan: Plan.Review
}

export interface WritebackHandler {
  /**
   * Serves one call to its end, status included. Interrupting it (the client cancelled,
   * the deadline passed, the server stopped) interrupts the run: no new users are started
   * and in-flight DFØ requests are aborted.
   */
  readonly serve: (call: Call) => Effect.Effect<void>
  /** Serves one Apply call to its end, as `serve` does. */
  readonly serveApply: (call: ApplyCall) => Effect.Effect<void>
}

/**
 * Writes one message, honouring the stream's backpressure: when grpc-js's buffer is full
 * the next event is not pulled until it has drained, so a slow client slows the run
 * instead of growing the server's memory. A client that drains nothing for `stallMs`
 * fails the call: it would otherwise hold the run (the full-run slot, an LDAP search, the
 * DFØ list) for as long as its connection stays open.
 */
const write = (
  call: AnyCall,
  event: WritebackEvent,
  stallMs: number
): Effect.Effect<void, StreamStalled> =>
  Effect.suspend(() => {
    if (call.write(toProtoEvent(event))) return Effect.void
    return Effect.async<void>((resume) => {
      const drained = () => resume(Effect.void)
      call.once("drain", drained)
      return Effect.sync(() => void call.removeListener("drain", drained))
    }).pipe(
      Effect.timeoutFail({
        duration: Duration.millis(stallMs),
        onTimeout: () => new StreamStalled({ stalledMs: stallMs })
      })
    )
  })

/** A run's options for a call: who asked, and the stop signal when it has one. */
const runOptions = (caller: string, stop: Effect.Effect<string> | undefined) => ({
  caller,
  ...(stop === undefined ? {} : { stop })
})

const sendStatus = (call: AnyCall, status: CallStatus): void => {
  // grpc-js turns an emitted error into the call's status once buffered messages are sent.
  call.emit("error", { code: status.code, details: status.details, metadata: status.metadata })
}

/** Ends the call according to how its fiber ended. */
const respond = (call: AnyCall, exit: Exit.Exit<void, CallError>): Effect.Effect<void> =>
  Exit.match(exit, {
    onSuccess: () => Effect.sync(() => void call.end()),
    onFailure: (cause) =>
      Option.match(Cause.failureOption(cause), {
        onSome: (error) =>
          Effect.sync(() => sendStatus(call, toStatus(error))).pipe(
            // A stalled client may never read its status (grpc-js sends it after the
            // messages it holds), so the call log may never see it: say it here.
            Effect.zipLeft(
              error._tag === "StreamStalled" || error._tag === "RunTooLong"
                ? Effect.logWarning(error.message).pipe(Effect.annotateLogs("code", error.code))
                : Effect.void
            )
          ),
        onNone: () =>
          Cause.isInterruptedOnly(cause)
            ? // A cancelled call (or an expired deadline) has nobody left to answer.
              call.cancelled
              ? Effect.void
              : Effect.sync(() => sendStatus(call, toStatus(new ShuttingDown())))
            : Effect.logError("Writeback failed unexpectedly", cause).pipe(
                Effect.zipRight(
                  Effect.sync(() =>
                    sendStatus(call, {
                      code: grpc.status.INTERNAL,
                      details: "INTERNAL: unexpected server error; see the server log",
                      metadata: new grpc.Metadata()
                    })
                  )
                )
              )
      })
  })

/** What decides whether a full run or an apply takes the lease first (CONTRACT §8). */
export interface LeaseCheck {
  /** `WRITEBACK_LEASE`'s lease, or `Lease.none`. */
  readonly lease: Lease.Service
  /** `SAP_READ_ONLY`: nothing is written, so no lease is needed. */
  readonly readOnly: boolean
}

/** Limits on one call (CONTRACT §6). */
export interface Limits extends PlanCheck, LeaseCheck {
  /** `GRPC_STREAM_STALL_TIMEOUT_MS`. */
  readonly streamStallTimeoutMs: number
  /** `WRITEBACK_MAX_RUN_MS`. */
  readonly maxRunMs: number
}

export const make = (limits: Limits): Effect.Effect<WritebackHandler, never, Writeback.Service> =>
  Effect.gen(function* () {
    const writeback = yield* Writeback.Service
    const gate = yield* RunGate.make(limits.lease)

    // One call site, a span per call: a stack trace would only cost (issue #21).
    const stream = Effect.fn("WritebackService.Writeback", { captureStackTrace: false })(function* (
      call: Call
    ) {
      const request = yield* validateRequest(fromProtoRequest(call.request))
      const caller = callerOf(call.metadata)
      // Before anything is read: a request outside the token's scope costs LDAP and DFØ nothing.
      yield* Either.mapLeft(
        Callers.permits(caller.scope, request),
        (reason) => new PermissionDenied({ caller: caller.name, reason })
      )
      yield* request._tag === "SingleUser"
        ? sendEvents(
            call,
            (stop, emit) => writeback.runSingle(request, emit, runOptions(caller.name, stop)),
            undefined
          )
        : sendEvents(
            call,
            (stop, emit) =>
              Stream.runForEach(writeback.run(request, runOptions(caller.name, stop)), emit),
            { mayWrite: !request.logOnly }
          )
    })

    /**
     * Sends a run's events to the call as `events` hands them over; a full run
     * (`exclusive`) holds the server's one full-run slot and, when it may write, the lease,
     * whose loss stops it.
     */
    const sendEvents = (
      call: AnyCall,
      events: (
        stop: Effect.Effect<string> | undefined,
        emit: (event: WritebackEvent) => Effect.Effect<void, StreamStalled>
      ) => Effect.Effect<void, CallError>,
      exclusive: { readonly mayWrite: boolean } | undefined
    ): Effect.Effect<void, CallError> =>
      Effect.gen(function* () {
        let summary: RunSummary | undefined
        const run = (stop: Effect.Effect<string> | undefined) =>
          events(stop, (event) => {
            switch (event._tag) {
              case "RunStarted": {
                const metadata = new grpc.Metadata()
                metadata.set(runIdHeader, event.runId)
                call.sendMetadata(metadata)
                break
              }
              case "RunSummary":
                summary = event
                break
              case "UserResult":
                break
            }
            return write(call, event, limits.streamStallTimeoutMs)
          }).pipe(
            Effect.timeoutFail({
              duration: Duration.millis(limits.maxRunMs),
              onTimeout: () => new RunTooLong({ maxRunMs: limits.maxRunMs })
            })
          )
        yield* exclusive === undefined
          ? run(undefined)
          : gate.exclusive(exclusive.mayWrite && !limits.readOnly, run)
        if (summary?.aborted === true) {
          return yield* new RunAborted({ runId: summary.runId, abortReason: summary.abortReason })
        }
      })

    /**
     * `Apply`: the plan is checked before anything is read (the `full` scope was checked by
     * the auth interceptor), then applied like a full run.
     */
    const applyStream = Effect.fn("WritebackService.Apply")(function* (call: ApplyCall) {
      const caller = callerOf(call.metadata)
      const plan = yield* Plan.decode(new TextDecoder().decode(call.request.plan), {
        settings: limits.plan.settings,
        maxAgeHours: limits.plan.maxAgeHours,
        now: new Date()
      })
      yield* sendEvents(
        call,
        (stop, emit) =>
          Stream.runForEach(writeback.apply(plan, runOptions(caller.name, stop)), emit),
        { mayWrite: true }
      )
    })

    return {
      serve: (call) =>
        stream(call).pipe(
          Effect.onExit((exit) => respond(call, exit)),
          // `respond` has turned every outcome into the call's status.
          Effect.catchAllCause(() => Effect.void)
        ),
      serveApply: (call) =>
        applyStream(call).pipe(
          Effect.onExit((exit) => respond(call, exit)),
          Effect.catchAllCause(() => Effect.void)
        )
    }
  })
