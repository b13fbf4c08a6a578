/**
 * The one place errors become gRPC statuses (CONTRACT §5). The details carry the error's
 * message, which starts with its code (`LDAP_CONNECTION_FAILED: …`), so clients can match
 * on the prefix.
 */
import type { RunError } from "@dfo-writeback/domain"
import type { LeaseError } from "@dfo-writeback/lease"
import type { PlanError } from "@dfo-writeback/writeback"
import { Metadata, status as Status } from "@grpc/grpc-js"
import type {
  Draining,
  PermissionDenied,
  RunAborted,
  RunInProgress,
  RunTooLong,
  ShuttingDown,
  StreamStalled,
  Unauthenticated
} from "./ServerError.js"

/** Everything that can end a call with a status other than OK. */
export type CallError =
  | RunError
  | RunInProgress
  | RunAborted
  | ShuttingDown
  | Unauthenticated
  | StreamStalled
  | RunTooLong
  | Draining
  | PermissionDenied
  | PlanError.PlanRefused
  | LeaseError.LeaseHeld
  | LeaseError.LeaseUnavailable

/**
 * Longest status details sent. Whatever a message echoes (a key value, a faultText) stays
 * well inside what every client and proxy accepts in a trailer.
 */
export const maxDetailsLength = 1024

/** A status as grpc-js sends it. */
export interface CallStatus {
  readonly code: Status
  readonly details: string
  readonly metadata: Metadata
}

/** The status code of an error. Exhaustive: a new error tag does not compile until mapped. */
export const statusCode = (error: CallError): Status => {
  switch (error._tag) {
    case "InvalidRequest":
      return Status.INVALID_ARGUMENT
    case "UserNotFound":
      return Status.NOT_FOUND
    case "AmbiguousKey":
      return Status.FAILED_PRECONDITION
    case "LdapConnectionError":
      return Status.UNAVAILABLE
    case "MassUpdateGuard":
      return Status.FAILED_PRECONDITION
    case "RunInProgress":
    case "LeaseHeld":
      return Status.ABORTED
    case "LeaseUnavailable":
      return Status.UNAVAILABLE
    case "RunAborted":
      return Status.UNAVAILABLE
    case "ShuttingDown":
    case "Draining":
      return Status.UNAVAILABLE
    case "Unauthenticated":
      return Status.UNAUTHENTICATED
    case "StreamStalled":
      return Status.CANCELLED
    case "RunTooLong":
      return Status.DEADLINE_EXCEEDED
    case "PermissionDenied":
      return Status.PERMISSION_DENIED
    case "PlanMalformed":
      return Status.INVALID_ARGUMENT
    case "PlanAltered":
    case "PlanExpired":
    case "PlanOtherSettings":
      return Status.FAILED_PRECONDITION
  }
}

/** The status a call ends with for `error`; `metadata` is sent as trailers. */
export const toStatus = (error: CallError, metadata: Metadata = new Metadata()): CallStatus => ({
  code: statusCode(error),
  details:
    error.message.length <= maxDetailsLength
      ? error.message
      : `${error.message.slice(0, maxDetailsLength)}…(clipped)`,
  metadata
})
