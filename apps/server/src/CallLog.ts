/**
 * One log line per call, for every service: method, peer, status, duration and, for a
 * writeback, its run id. A grpc-js interceptor sees every way a call ends: a status sent by
 * a handler or by the auth check, a client's cancellation, an expired deadline.
 */
import * as grpc from "@grpc/grpc-js"
import { Effect } from "effect"
import { callerNameKey } from "./Auth.js"

/**
 * Response header carrying a writeback's run id, sent before the first event; the log reads
 * it here, and clients can correlate a call with the server's logs without parsing events.
 */
export const runIdHeader = "run-id"

/** How one call ended. */
export interface CallRecord {
  /** `/dfo.writeback.v1.WritebackService/Writeback`. */
  readonly method: string
  readonly peer: string
  readonly code: grpc.status
  readonly details: string
  readonly durationMs: number
  readonly runId: string | undefined
  /** The named token's name; `undefined` before authentication or for a plain token. */
  readonly caller: string | undefined
}

const healthService = "grpc.health.v1.Health"

const statusName = (code: grpc.status): string => grpc.status[code] ?? `STATUS_${code}`

const serverFaults: ReadonlySet<grpc.status> = new Set([
  grpc.status.UNKNOWN,
  grpc.status.INTERNAL,
  grpc.status.DATA_LOSS,
  grpc.status.UNIMPLEMENTED
])

/**
 * How a health call ends without being a problem of its own: a Watch ends CANCELLED when
 * its client leaves, and Watch calls over the limit (RESOURCE_EXHAUSTED) are counted in one
 * line per health interval (HealthMonitor), not one line each.
 */
const quietHealthEnds: ReadonlySet<grpc.status> = new Set([
  grpc.status.OK,
  grpc.status.CANCELLED,
  grpc.status.RESOURCE_EXHAUSTED
])

/** The line for one call; tokens and request bodies never appear in it. */
export const log = (record: CallRecord): Effect.Effect<void> => {
  const health = record.method.startsWith(`/${healthService}/`)
  const line =
    // Load balancers probe health every few seconds: at info they would drown the log.
    health && quietHealthEnds.has(record.code)
      ? Effect.logDebug("call")
      : record.code === grpc.status.OK
        ? Effect.logInfo("call")
        : serverFaults.has(record.code)
          ? Effect.logError("call")
          : Effect.logWarning("call")
  return line.pipe(
    Effect.annotateLogs({
      method: record.method,
      peer: record.peer,
      status: statusName(record.code),
      duration_ms: record.durationMs,
      ...(record.code === grpc.status.OK ? {} : { details: record.details }),
      ...(record.runId === undefined ? {} : { run_id: record.runId }),
      ...(record.caller === undefined ? {} : { caller: record.caller })
    })
  )
}

const callerName = (metadata: grpc.Metadata | undefined): string | undefined => {
  const name = metadata?.get(callerNameKey)[0]
  return typeof name === "string" && name !== "" ? name : undefined
}

const expired = (deadline: grpc.Deadline): boolean => {
  const at = deadline instanceof Date ? deadline.getTime() : deadline
  // grpc-js's deadline timer and Date.now() may disagree by a millisecond or so.
  return Number.isFinite(at) && at <= Date.now() + 10
}

/**
 * Calls `report` once per call. Placed innermost, so it also sees the status another
 * interceptor (auth) sends; a deadline or a cancellation ends the call without a status
 * passing through, and is told apart by the call's deadline.
 */
export const interceptor =
  (report: (record: CallRecord) => void): grpc.ServerInterceptor =>
  (method, call) => {
    const startedAt = performance.now()
    let runId: string | undefined
    let received: grpc.Metadata | undefined
    let reported = false
    const finish = (code: grpc.status, details: string) => {
      if (reported) return
      reported = true
      report({
        method: method.path,
        peer: call.getPeer(),
        code,
        details,
        durationMs: Math.round(performance.now() - startedAt),
        runId,
        caller: callerName(received)
      })
    }
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          // The auth interceptor (outside this one) adds the caller to this same object once
          // the token checks out; by the time the call ends, it is there or never will be.
          onReceiveMetadata: (metadata, nextMetadata) => {
            received = metadata
            nextMetadata(metadata)
          },
          onCancel: () =>
            expired(call.getDeadline())
              ? finish(grpc.status.DEADLINE_EXCEEDED, "Deadline exceeded")
              : finish(grpc.status.CANCELLED, "cancelled by the client")
        }),
      sendMetadata: (metadata, next) => {
        const value = metadata.get(runIdHeader)[0]
        if (typeof value === "string") runId = value
        next(metadata)
      },
      sendStatus: (status, next) => {
        finish(status.code, status.details)
        next(status)
      }
    })
  }
