import { Schema } from "effect"
import { KeyField } from "./KeyField.js"

/** Which step of talking to the Portal LDAP failed. */
export const LdapStep = Schema.Literal("connect", "tls", "bind", "search")
export type LdapStep = typeof LdapStep.Type

/** Connecting, negotiating TLS, binding or searching the Portal LDAP failed. Ends the run. */
export class LdapConnectionError extends Schema.TaggedError<LdapConnectionError>()(
  "LdapConnectionError",
  {
    step: LdapStep,
    url: Schema.String,
    reason: Schema.String,
    /** The step's time limit, when the directory did not answer within it. */
    timeoutMs: Schema.optional(Schema.Number)
  }
) {
  readonly code = "LDAP_CONNECTION_FAILED" as const
  override get message() {
    return `${this.code}: ${this.step} failed against ${this.url}: ${this.reason}`
  }
}

const SapFailure = {
  sapId: Schema.optional(Schema.String),
  status: Schema.optional(Schema.Number),
  faultText: Schema.optional(Schema.String),
  attempts: Schema.Number,
  reason: Schema.String,
  /** A 429, 502–504, timeout or reset: the same request may succeed later. */
  transient: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /** How long DFØ's gateway asked to wait (`Retry-After`, `X-Rate-Limit-Reset`). */
  retryAfterMs: Schema.optional(Schema.Number)
}

/**
 * The statuses that refuse the API key or its plan (CONTRACT §3): `401`/`403` a bad
 * key (`401` also a failing token service), `405` a method the key's plan does not
 * allow. Every other user would fail the same way, so they stop the run.
 */
export const keyRefusedStatuses: ReadonlySet<number> = new Set([401, 403, 405])

/**
 * What an operator checks when DFØ's gateway refuses a call with `status`. Sikt's gateway
 * template calls its token service with `exitOnError: false`, so that service failing
 * answers `401` just as a bad key does: the advice names both.
 */
export const keyRefusalAdvice = (status: number): string =>
  status === 405
    ? "the API key's plan does not allow this method: check that SAP_API_KEY belongs to a plan that allows writes (PUT), and SAP_UPDATE_METHOD"
    : status === 401
      ? "the gateway refused the API key, or its token service failed (that answers 401 too): check SAP_API_KEY (and that its subscription is active), then the gateway's token service"
      : "the gateway refused the API key: check SAP_API_KEY (and that its subscription is active)"

const describeSap = (
  code: string,
  what: string,
  e: {
    readonly sapId?: string | undefined
    readonly status?: number | undefined
    readonly faultText?: string | undefined
    readonly attempts: number
    readonly reason: string
  }
) =>
  [
    `${code}: ${what}${e.sapId === undefined ? "" : ` employee ${e.sapId}`} failed`,
    e.status === undefined ? "" : ` with HTTP ${e.status}`,
    e.faultText === undefined ? "" : ` (${e.faultText})`,
    `: ${e.reason}`,
    ` after ${e.attempts} attempt${e.attempts === 1 ? "" : "s"}`
  ].join("")

/** Reading from DFØ failed after retries. Belongs to one user (or the bulk list). */
export class SapFetchError extends Schema.TaggedError<SapFetchError>()(
  "SapFetchError",
  SapFailure
) {
  readonly code = "SAP_FETCH_FAILED" as const
  get keyRefused(): boolean {
    return this.status !== undefined && keyRefusedStatuses.has(this.status)
  }
  override get message() {
    return describeSap(this.code, "reading", this)
  }
}

/** Writing to DFØ failed. Belongs to one user. */
export class SapUpdateError extends Schema.TaggedError<SapUpdateError>()(
  "SapUpdateError",
  SapFailure
) {
  readonly code = "SAP_UPDATE_FAILED" as const
  get keyRefused(): boolean {
    return this.status !== undefined && keyRefusedStatuses.has(this.status)
  }
  override get message() {
    return describeSap(this.code, "updating", this)
  }
}

/** A single-user key matched no entry. Nothing is written. */
export class UserNotFound extends Schema.TaggedError<UserNotFound>()("UserNotFound", {
  keyField: KeyField,
  keyValue: Schema.String
}) {
  readonly code = "NOT_FOUND" as const
  override get message() {
    return `${this.code}: no Portal LDAP entry has ${this.keyField} ${JSON.stringify(this.keyValue)}`
  }
}

/** A single-user key matched several entries. Nothing is written. */
export class AmbiguousKey extends Schema.TaggedError<AmbiguousKey>()("AmbiguousKey", {
  keyField: KeyField,
  keyValue: Schema.String,
  matches: Schema.Number
}) {
  readonly code = "AMBIGUOUS_KEY" as const
  override get message() {
    return `${this.code}: ${this.matches} Portal LDAP entries have ${this.keyField} ${JSON.stringify(this.keyValue)}; nothing written`
  }
}

/** A request that breaks CONTRACT §5's rules. Nothing is read or written. */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  problems: Schema.NonEmptyArray(Schema.String)
}) {
  readonly code = "INVALID_REQUEST" as const
  override get message() {
    return `${this.code}: ${this.problems.join("; ")}`
  }
}

/** A full run planned more updates than allowed: nothing was written. */
export class MassUpdateGuard extends Schema.TaggedError<MassUpdateGuard>()("MassUpdateGuard", {
  planned: Schema.Number,
  limit: Schema.Number,
  configuredLimit: Schema.Number,
  requestLimit: Schema.Number
}) {
  readonly code = "MASS_UPDATE_GUARD" as const
  override get message() {
    return (
      `${this.code}: the run planned at least ${this.planned} updates, over the limit of ${this.limit} ` +
      `(WRITEBACK_MAX_UPDATES=${this.configuredLimit}, request max_updates=${this.requestLimit}); nothing written`
    )
  }
}

/** Every error that ends a run instead of belonging to one user. */
export type RunError =
  LdapConnectionError | UserNotFound | AmbiguousKey | InvalidRequest | MassUpdateGuard
