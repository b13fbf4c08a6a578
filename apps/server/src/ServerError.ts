/** Why the server ended a call, beyond the writeback program's own run errors. */
import { Schema } from "effect"

/** The call carried no bearer token, or one the server does not accept. */
export class Unauthenticated extends Schema.TaggedError<Unauthenticated>()("Unauthenticated", {
  reason: Schema.Literal("missing", "invalid")
}) {
  readonly code = "UNAUTHENTICATED" as const
  override get message() {
    return this.reason === "missing"
      ? `${this.code}: send "authorization: Bearer <token>" metadata`
      : `${this.code}: the bearer token is not accepted`
  }
}

/** A full run was asked for while another is still running on this server. */
export class RunInProgress extends Schema.TaggedError<RunInProgress>()("RunInProgress", {}) {
  readonly code = "RUN_IN_PROGRESS" as const
  override get message() {
    return `${this.code}: a full run is already in progress on this server; try again when it has finished`
  }
}

/** The run stopped early after consecutive DFØ failures; its summary has been sent. */
export class RunAborted extends Schema.TaggedError<RunAborted>()("RunAborted", {
  runId: Schema.String,
  abortReason: Schema.String
}) {
  readonly code = "RUN_ABORTED" as const
  override get message() {
    return `${this.code}: run ${this.runId} ${this.abortReason}`
  }
}

/** The server is stopping and the call outlived its grace period. */
export class ShuttingDown extends Schema.TaggedError<ShuttingDown>()("ShuttingDown", {}) {
  readonly code = "SHUTTING_DOWN" as const
  override get message() {
    return `${this.code}: the server is stopping and cancelled the run; no new users are started`
  }
}

/** The client read nothing for `GRPC_STREAM_STALL_TIMEOUT_MS`: the run is cancelled. */
export class StreamStalled extends Schema.TaggedError<StreamStalled>()("StreamStalled", {
  stalledMs: Schema.Number
}) {
  readonly code = "STREAM_STALLED" as const
  override get message() {
    return `${this.code}: the client read nothing for ${this.stalledMs} ms (GRPC_STREAM_STALL_TIMEOUT_MS); the run was cancelled`
  }
}

/** The run was older than `WRITEBACK_MAX_RUN_MS`: it is cancelled. */
export class RunTooLong extends Schema.TaggedError<RunTooLong>()("RunTooLong", {
  maxRunMs: Schema.Number
}) {
  readonly code = "MAX_RUN_TIME" as const
  override get message() {
    return `${this.code}: the run took longer than ${this.maxRunMs} ms (WRITEBACK_MAX_RUN_MS) and was cancelled; run again to finish (only what still differs is written)`
  }
}

/** The caller's token is valid, but its scope does not allow this request (CONTRACT §6). */
export class PermissionDenied extends Schema.TaggedError<PermissionDenied>()("PermissionDenied", {
  caller: Schema.String,
  reason: Schema.String
}) {
  readonly code = "PERMISSION_DENIED" as const
  override get message() {
    return `${this.code}: ${this.reason}; nothing was read or written`
  }
}

/** The server is draining after SIGTERM and takes no new runs. */
export class Draining extends Schema.TaggedError<Draining>()("Draining", {}) {
  readonly code = "SHUTTING_DOWN" as const
  override get message() {
    return `${this.code}: the server is stopping and takes no new calls; try another instance`
  }
}
