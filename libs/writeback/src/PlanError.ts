import { Schema } from "effect"

/**
 * The plan file is not JSON, or not a plan this version reads: nothing is written. `file`
 * names it when it came from one (gRPC's `Apply` sends bytes).
 */
export class PlanMalformed extends Schema.TaggedError<PlanMalformed>()("PlanMalformed", {
  reason: Schema.String,
  file: Schema.optionalWith(Schema.String, { exact: true })
}) {
  readonly code = "PLAN_MALFORMED" as const
  override get message() {
    return `${this.code}: ${this.file ?? "the file"} is not a usable plan: ${this.reason}; nothing written`
  }
}

/** The plan's digest does not match its contents: someone changed it after review. */
export class PlanAltered extends Schema.TaggedError<PlanAltered>()("PlanAltered", {
  expected: Schema.String,
  actual: Schema.String
}) {
  readonly code = "PLAN_ALTERED" as const
  override get message() {
    return `${this.code}: the plan's digest ${this.expected} does not match its contents (${this.actual}); nothing written`
  }
}

/** The plan is older than `WRITEBACK_PLAN_MAX_AGE_HOURS`. */
export class PlanExpired extends Schema.TaggedError<PlanExpired>()("PlanExpired", {
  createdAt: Schema.String,
  ageHours: Schema.Number,
  maxAgeHours: Schema.Number
}) {
  readonly code = "PLAN_EXPIRED" as const
  override get message() {
    return (
      `${this.code}: the plan was made at ${this.createdAt}, ${this.ageHours.toFixed(1)} hours ago, ` +
      `over WRITEBACK_PLAN_MAX_AGE_HOURS=${this.maxAgeHours}; make a new plan; nothing written`
    )
  }
}

/** The plan was made with another mapping, other rules or another DFØ base URL. */
export class PlanOtherSettings extends Schema.TaggedError<PlanOtherSettings>()(
  "PlanOtherSettings",
  { differing: Schema.Array(Schema.String) }
) {
  readonly code = "PLAN_OTHER_SETTINGS" as const
  override get message() {
    return `${this.code}: the plan was made with other settings (${this.differing.join(", ")} differ); nothing written`
  }
}

/** Why a plan file is refused (CONTRACT §7 `writeback apply`). */
export type PlanRefused = PlanMalformed | PlanAltered | PlanExpired | PlanOtherSettings
