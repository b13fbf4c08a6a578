import { type EmployeeIndex, indexEmployees } from "@dfo-writeback/domain"
import { Effect, Either, type Stream } from "effect"
import { decodeEmployeeListJson, parseJson } from "./Answer.js"
import { AttemptFailure } from "./AttemptFailure.js"
import { collectBytes } from "./BoundedBody.js"

/**
 * The list's body (`GET {base}`, a `200`) as an index: read whole up to `maxBytes`,
 * parsed, checked against DFØ's list schema and indexed.
 */
export const decodeEmployeeList = (
  body: Stream.Stream<Uint8Array, AttemptFailure>,
  options: { readonly status: number; readonly maxBytes: number }
): Effect.Effect<EmployeeIndex, AttemptFailure> =>
  Effect.flatMap(collectBytes(body, options.status, options.maxBytes), (bytes) =>
    Either.flatMap(
      Either.mapLeft(
        parseJson(bytes.toString("utf8")),
        (reason) => new AttemptFailure({ status: options.status, reason, transient: false })
      ),
      (json) =>
        Either.map(decodeEmployeeListJson(json, options.status), ({ ansatt }) =>
          indexEmployees(ansatt)
        )
    )
  )
