import {
  DfoEmployee,
  DfoEmployeeList,
  DfoLookup,
  type EmployeeIndex,
  sameEmployee
} from "@dfo-writeback/domain"
import { Either, Option, ParseResult, Schema } from "effect"
import { type Answer, clip, explain, failureOf, IKKE_ANSATT, successJson } from "./Answer.js"
import { AttemptFailure } from "./AttemptFailure.js"
import { employeeOf } from "./EmployeeCheck.js"

/*
 * What each call makes of DFØ's complete answer: pure functions of the answer and the time
 * (a `Retry-After` date is read against it), tested without HTTP.
 */

/** What a call makes of its answer: its value, or why the attempt failed. */
export type Reading<A> = (answer: Answer, now: number) => Either.Either<A, AttemptFailure>

const hasOwn = Object.prototype.hasOwnProperty

const decodeList = Schema.decodeUnknownEither(DfoEmployeeList)

/** A write's answer: the list shapes of a GET, or the employee object itself. */
const decodeWritten = Schema.decodeUnknownEither(
  Schema.Union(
    DfoEmployeeList,
    Schema.transform(DfoEmployee, Schema.typeSchema(DfoEmployeeList), {
      strict: true,
      decode: (employee) => ({ ansatt: [employee] }),
      encode: ({ ansatt }) => ansatt[0] ?? { id: "", hasBrukerident: false }
    })
  )
)

/**
 * `ansatt` as `DfoEmployeeList` decodes it, when every element passes `employeeOf`'s check;
 * `undefined` leaves the case to the schema. Measured: the schema cost 12 µs a GET.
 */
const quickList = (json: unknown): ReadonlyArray<DfoEmployee> | undefined => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined
  if (!hasOwn.call(json, "ansatt")) return undefined
  const ansatt = (json as { readonly ansatt: unknown }).ansatt
  if (Array.isArray(ansatt)) {
    const employees: Array<DfoEmployee> = []
    for (const element of ansatt) {
      const employee = employeeOf(element)
      if (employee === undefined) return undefined
      employees.push(employee)
    }
    return employees
  }
  const one = employeeOf(ansatt)
  return one === undefined ? undefined : [one]
}

const unexpected = (status: number, error: ParseResult.ParseError, prefix: string) =>
  new AttemptFailure({
    status,
    reason: `${prefix}${clip(ParseResult.TreeFormatter.formatErrorSync(error))}`,
    transient: false
  })

/** A success body as DFØ's employee list (`ansatt` a list, or one employee as an object). */
export const employeesOf = (
  answer: Answer
): Either.Either<ReadonlyArray<DfoEmployee>, AttemptFailure> =>
  Either.flatMap(successJson(answer), (json) => {
    const quick = quickList(json)
    if (quick !== undefined) return Either.right(quick)
    return Either.mapBoth(decodeList(json, { onExcessProperty: "ignore" }), {
      onLeft: (error) => unexpected(answer.status, error, "unexpected JSON in the answer: "),
      onRight: ({ ansatt }) => ansatt
    })
  })

/** `GET {base}/{id}`'s answer as a lookup of `id`. */
export const lookupOf =
  (id: string): Reading<DfoLookup> =>
  (answer, now) => {
    if (answer.status === 404) {
      const { faultText } = explain(answer)
      if (faultText !== undefined && IKKE_ANSATT.test(faultText)) {
        return Either.right<DfoLookup>(DfoLookup.NotFound({ faultText }))
      }
    }
    if (answer.status !== 200) return Either.left(failureOf(answer, now))
    return Either.flatMap(employeesOf(answer), (ansatt) => {
      const [employee] = ansatt
      // A 200 with an empty list means the same as the IKKE ANSATT 404 (CONTRACT §3).
      if (employee === undefined) {
        return Either.right<DfoLookup>(
          DfoLookup.NotFound({ faultText: "DFØ answered 200 with no employee" })
        )
      }
      if (ansatt.length !== 1 || !sameEmployee(employee.id, id)) {
        return Either.left(
          new AttemptFailure({
            status: answer.status,
            reason: `expected employee ${id} alone, got ${ansatt.length} employee(s) starting with ${clip(employee.id, 20)}`,
            transient: false
          })
        )
      }
      return Either.right<DfoLookup>(DfoLookup.Found({ employee }))
    })
  }

/** The employee object itself, when the answer has no `ansatt` (the union's second form). */
const asEmployee = (json: unknown): ReadonlyArray<DfoEmployee> | undefined => {
  if (typeof json !== "object" || json === null || hasOwn.call(json, "ansatt")) return undefined
  const employee = employeeOf(json)
  return employee === undefined ? undefined : [employee]
}

/** A write's answer, when DFØ accepted it: its employees, in either shape. */
const writtenEmployees = (
  answer: Answer
): Either.Either<ReadonlyArray<DfoEmployee>, AttemptFailure> =>
  Either.flatMap(successJson(answer), (json) => {
    const quick = quickList(json) ?? asEmployee(json)
    if (quick !== undefined) return Either.right(quick)
    return Either.mapBoth(decodeWritten(json, { onExcessProperty: "ignore" }), {
      onLeft: (error) =>
        unexpected(
          answer.status,
          error,
          "DFØ accepted the write, but its answer is not an employee: "
        ),
      onRight: ({ ansatt }) => ansatt
    })
  })

/**
 * A write's answer: the employee it shows, if any (`None` for a `204` or an empty body);
 * its shape is checked like a read's. Any status but 200 and 204 is a failure.
 */
export const writtenOf =
  (id: string): Reading<Option.Option<DfoEmployee>> =>
  (answer, now) => {
    if (answer.status !== 200 && answer.status !== 204) return Either.left(failureOf(answer, now))
    if (answer.status === 204 || answer.body === "") return Either.right(Option.none())
    return Either.flatMap(writtenEmployees(answer), ([employee, ...others]) => {
      if (employee === undefined) return Either.right(Option.none())
      if (others.length > 0 || !sameEmployee(employee.id, id)) {
        return Either.left(
          new AttemptFailure({
            status: answer.status,
            reason: `DFØ accepted the write, but answered with employee ${clip(employee.id, 20)}${others.length > 0 ? ` and ${others.length} more` : ""}`,
            transient: false
          })
        )
      }
      return Either.right(Option.some(employee))
    })
  }

/**
 * The health probe's answer: `200`, `429` or DFØ's `IKKE ANSATT` 404 mean DFØ is reachable
 * with a working key; anything else is the failure it names.
 */
export const probeOf: Reading<void> = (answer, now) => {
  const { faultText } = explain(answer)
  const known = faultText !== undefined && IKKE_ANSATT.test(faultText)
  if (answer.status === 200 || answer.status === 429 || (answer.status === 404 && known)) {
    return Either.void
  }
  return Either.left(failureOf(answer, now))
}

/** Any answer to the list that is not its success, as the attempt's failure. */
export const listRefusalOf: Reading<EmployeeIndex> = (answer, now) =>
  Either.left(failureOf(answer, now))
