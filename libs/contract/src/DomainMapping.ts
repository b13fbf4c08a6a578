import { create, toJson } from "@bufbuild/protobuf"
import type * as Domain from "@dfo-writeback/domain"
import {
  ErrorCode,
  KeyField,
  Outcome,
  SkipReason,
  type WritebackEvent,
  WritebackEventSchema,
  type WritebackRequest
} from "./gen/dfo/writeback/v1/writeback_pb.js"

const keyFields: Record<KeyField, Domain.KeyField | undefined> = {
  [KeyField.UNSPECIFIED]: undefined,
  [KeyField.USERNAME]: "username",
  [KeyField.UH_USERNAME]: "uh-username",
  [KeyField.IDAUTO_ID]: "idautoID",
  [KeyField.EMPLOYEE_ID]: "employee-id"
}

/**
 * A wire request as the domain's raw request, for `validateRequest`. An enum number
 * the proto does not know is kept as text so the error can name it.
 */
export const fromProtoRequest = (request: WritebackRequest): Domain.RawWritebackRequest => ({
  keyField:
    request.keyField in keyFields
      ? keyFields[request.keyField]
      : `KeyField(${String(request.keyField)})`,
  keyValue: request.keyValue,
  processAll: request.processAll,
  logOnly: request.logOnly,
  maxUpdates: request.maxUpdates,
  changedSinceSeconds: request.changedSinceSeconds
})

/** A domain event as the wire message. */
export const toProtoEvent = (event: Domain.WritebackEvent): WritebackEvent => {
  switch (event._tag) {
    case "RunStarted":
      return create(WritebackEventSchema, {
        event: {
          case: "started",
          value: {
            runId: event.runId,
            logOnly: event.logOnly,
            readOnly: event.readOnly,
            processAll: event.processAll,
            changedSinceSeconds: event.changedSinceSeconds
          }
        }
      })
    case "UserResult":
      return create(WritebackEventSchema, {
        event: {
          case: "user",
          value: {
            idautoId: event.idautoId,
            username: event.username,
            uhUsername: event.uhUsername,
            sapId: event.sapId,
            outcome: Outcome[event.outcome],
            skipReason:
              event.skipReason === undefined
                ? SkipReason.UNSPECIFIED
                : SkipReason[event.skipReason],
            errorCode:
              event.errorCode === undefined ? ErrorCode.UNSPECIFIED : ErrorCode[event.errorCode],
            changes: event.changes.map((c) => ({
              field: c.field,
              before: c.before,
              after: c.after
            })),
            keptFields: [...event.keptFields],
            message: event.message
          }
        }
      })
    case "RunSummary":
      return create(WritebackEventSchema, {
        event: {
          case: "summary",
          value: {
            runId: event.runId,
            total: event.total,
            skipped: event.skipped,
            unchanged: event.unchanged,
            updated: event.updated,
            wouldUpdate: event.wouldUpdate,
            updateFailed: event.updateFailed,
            fetchFailed: event.fetchFailed,
            logOnly: event.logOnly,
            aborted: event.aborted,
            abortReason: event.abortReason,
            durationMs: BigInt(Math.max(0, Math.round(event.durationMs))),
            skippedByReason: { ...event.skippedByReason },
            dfoRequests: event.dfoRequests,
            dfoRetries: event.dfoRetries,
            dfoRateLimited: event.dfoRateLimited,
            caller: event.caller
          }
        }
      })
  }
}

/**
 * Protobuf's canonical JSON of an event (camelCase names, enum names as strings),
 * with zero values written out so every counter is present.
 */
export const toCanonicalJson = (event: Domain.WritebackEvent): string =>
  JSON.stringify(toJson(WritebackEventSchema, toProtoEvent(event), { alwaysEmitImplicit: true }))
