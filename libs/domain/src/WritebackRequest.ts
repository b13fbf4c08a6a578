import { Either, Schema } from "effect"
import { readEmployeeId } from "./EmployeeIdRule.js"
import { KeyField } from "./KeyField.js"
import { InvalidRequest } from "./WritebackError.js"

/** Write back one user, found by a key. */
export class SingleUserRequest extends Schema.TaggedClass<SingleUserRequest>()("SingleUser", {
  keyField: KeyField,
  keyValue: Schema.NonEmptyString,
  logOnly: Schema.Boolean
}) {}

/**
 * Write back every `idautoPerson` entry; `maxUpdates` 0 means the configured guard only.
 * `changedSinceSeconds` above 0 makes it incremental (CONTRACT §8): only entries modified
 * within that many seconds before the run are examined.
 */
export class AllUsersRequest extends Schema.TaggedClass<AllUsersRequest>()("AllUsers", {
  logOnly: Schema.Boolean,
  maxUpdates: Schema.NonNegativeInt,
  changedSinceSeconds: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 0 })
}) {}

/** A validated request (CONTRACT §5). */
export const WritebackRequest = Schema.Union(SingleUserRequest, AllUsersRequest)
export type WritebackRequest = typeof WritebackRequest.Type

/**
 * A request as a caller sends it, before validation. `keyField` is `undefined` when not
 * set and carries any other text as given, so an unknown field can be named.
 */
export interface RawWritebackRequest {
  readonly keyField: string | undefined
  readonly keyValue: string
  readonly processAll: boolean
  readonly logOnly: boolean
  readonly maxUpdates: number
  /** 0 (or absent): every entry; else an incremental run's window in seconds. */
  readonly changedSinceSeconds?: number
}

const isKeyField = Schema.is(KeyField)

/**
 * The longest key value accepted (CONTRACT §5). No directory key is near it, and an error
 * message or log line that echoes the value stays short.
 */
export const maxKeyValueLength = 256

/**
 * The widest incremental window accepted: a year and a day. A wider one is a full run
 * asked for the long way round, and more likely a unit typed wrong.
 */
export const maxChangedSinceSeconds = 366 * 24 * 60 * 60

/**
 * The validation of CONTRACT §5: exactly one of (key_field + key_value) and
 * process_all, a non-empty key value of at most 256 characters, a known key field, and
 * for `employee-id` a value the employee id rule reads as an id (CONTRACT §1–2); a
 * `changed_since_seconds` window only with process_all (CONTRACT §8).
 * Reports every problem.
 */
export const validateRequest = (
  raw: RawWritebackRequest
): Either.Either<WritebackRequest, InvalidRequest> => {
  const problems: Array<string> = []
  const hasKey = raw.keyField !== undefined || raw.keyValue !== ""
  if (raw.processAll && hasKey) {
    problems.push("give either a key (key_field + key_value) or process_all, not both")
  }
  if (!raw.processAll && !hasKey) {
    problems.push("give either a key (key_field + key_value) or process_all")
  }
  if (!raw.processAll && hasKey) {
    if (raw.keyField === undefined) problems.push("key_field is missing")
    else if (!isKeyField(raw.keyField)) {
      problems.push(
        `unknown key_field ${JSON.stringify(raw.keyField.slice(0, 64))} (use ${KeyField.literals.join(", ")})`
      )
    }
    if (raw.keyValue.trim() === "") problems.push("key_value is empty")
    else if (raw.keyValue.length > maxKeyValueLength) {
      // The value itself is not echoed: it may be megabytes.
      problems.push(
        `key_value is ${raw.keyValue.length} characters long; at most ${maxKeyValueLength} are accepted`
      )
    } else if (raw.keyField === "employee-id") {
      const id = readEmployeeId(raw.keyValue)
      // The reason names an offending character by code point, never the raw value.
      if (Either.isLeft(id))
        problems.push(`key_value for employee-id must be 1–8 digits; it ${id.left}`)
    }
  }
  if (!Number.isInteger(raw.maxUpdates) || raw.maxUpdates < 0) {
    problems.push(`max_updates must be a non-negative integer, got ${raw.maxUpdates}`)
  }
  const changedSince = raw.changedSinceSeconds ?? 0
  if (
    !Number.isInteger(changedSince) ||
    changedSince < 0 ||
    changedSince > maxChangedSinceSeconds
  ) {
    problems.push(
      `changed_since_seconds must be an integer from 0 to ${maxChangedSinceSeconds} (366 days), got ${changedSince}`
    )
  } else if (changedSince > 0 && !raw.processAll) {
    problems.push("changed_since_seconds is only allowed with process_all")
  }
  const [first, ...rest] = problems
  if (first !== undefined) return Either.left(new InvalidRequest({ problems: [first, ...rest] }))
  if (raw.processAll) {
    return Either.right(
      new AllUsersRequest({
        logOnly: raw.logOnly,
        maxUpdates: raw.maxUpdates,
        changedSinceSeconds: changedSince
      })
    )
  }
  return Either.right(
    new SingleUserRequest({
      keyField: raw.keyField as KeyField,
      keyValue: raw.keyValue,
      logOnly: raw.logOnly
    })
  )
}
