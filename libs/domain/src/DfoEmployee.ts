import { Option, Schema } from "effect"

/**
 * A text field of a DFØ employee: absent, `null` and blank all mean "no value"
 * (CONTRACT §3), so all three decode to an absent property.
 */
const OptionalText = Schema.optionalToOptional(Schema.NullOr(Schema.String), Schema.String, {
  decode: (value) =>
    Option.filter(Option.flatMap(value, Option.fromNullable), (s) => s.trim() !== ""),
  encode: (value) => value
})

/** An employee id as it may appear in a URL: 1–12 digits (CONTRACT §4 step 4). */
export const EmployeeId = Schema.String.pipe(
  Schema.pattern(/^\d{1,12}$/, { message: () => "an employee id is 1–12 digits" })
)

export const isEmployeeId = Schema.is(EmployeeId)

/**
 * A DFØ employee, keeping only the fields the writeback reads. DFØ returns many more;
 * unknown fields are ignored, never an error.
 */
export const DfoEmployee = Schema.Struct({
  id: Schema.String,
  eksternIdent: OptionalText,
  epost: OptionalText,
  brukerident: OptionalText
})
export type DfoEmployee = typeof DfoEmployee.Type

/** The body of `GET {base}` and `GET {base}/{id}`. */
export const DfoEmployeeList = Schema.Struct({ ansatt: Schema.Array(DfoEmployee) })
export type DfoEmployeeList = typeof DfoEmployeeList.Type

/** DFØ's error body; `faultText` goes into the user's result message. */
export const DfoFault = Schema.Struct({
  standard: Schema.Struct({ faultText: Schema.String })
})
export type DfoFault = typeof DfoFault.Type

/** A PATCH body: only the fields to change. */
export const DfoPatch = Schema.Struct({
  eksternIdent: Schema.optional(Schema.String),
  epost: Schema.optional(Schema.String),
  brukerident: Schema.optional(Schema.String)
})
export type DfoPatch = typeof DfoPatch.Type

/** The DFØ fields the writeback writes, in the order results list them. */
export const DfoField = Schema.Literal("eksternIdent", "epost", "brukerident")
export type DfoField = typeof DfoField.Type
