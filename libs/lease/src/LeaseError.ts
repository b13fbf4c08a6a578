import { Schema } from "effect"

/** Another process holds the lease: a full run is already under way elsewhere. */
export class LeaseHeld extends Schema.TaggedError<LeaseHeld>()("LeaseHeld", {
  /** `k8s:<namespace>/<name>` or `file:<path>`. */
  lease: Schema.String,
  /** Who holds it, as it named itself (pod name, or host and pid). */
  holder: Schema.String
}) {
  readonly code = "RUN_IN_PROGRESS" as const
  override get message() {
    return `${this.code}: a full run is already in progress: the lease ${this.lease} is held by ${this.holder}`
  }
}

/**
 * The lease could not be taken or checked (the API server unreachable or refusing, the
 * lock file unusable). A run that cannot show it is alone does not start.
 */
export class LeaseUnavailable extends Schema.TaggedError<LeaseUnavailable>()("LeaseUnavailable", {
  lease: Schema.String,
  reason: Schema.String
}) {
  readonly code = "LEASE_UNAVAILABLE" as const
  override get message() {
    return `${this.code}: the lease ${this.lease} could not be taken: ${this.reason}`
  }
}
