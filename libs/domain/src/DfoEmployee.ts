import { Data, Option, Schema } from "effect"

/**
 * A text field of a DFØ employee: absent, `null` and blank all mean "no value"
 * (CONTRACT §3), so all three decode to an absent property.
 */
const OptionalText = Schema.optionalToOptional(Schema.NullOr(Schema.String), Schema.String, {
  decode: (value) =>
    Option.filter(Option.flatMap(value, Option.fromNullable), (s) => s.trim() !== ""),
  encode: (value) => value
})

/** An employee id as it may appear in a URL: 1–8 digits (CONTRACT §1, §4 step 4). */
export const EmployeeId = Schema.String.pipe(
  Schema.pattern(/^\d{1,8}$/, { message: () => "an employee id is 1–8 digits" })
)

export const isEmployeeId = Schema.is(EmployeeId)

/**
 * The key two ids share when they name the same employee: DFØ answers `00030202` where
 * the Portal LDAP may hold `30202`, so ids compare by numeric value (CONTRACT §1).
 */
export const employeeKey = (id: string): string => id.replace(/^0+(?=\d)/, "")

/** True when both ids name the same employee. */
export const sameEmployee = (a: string, b: string): boolean => employeeKey(a) === employeeKey(b)

/**
 * Every spelling of an id DFØ or the directory may use: the id without leading zeros,
 * padded with zeros up to 8 digits. For finding every entry that claims an employee.
 */
export const employeeIdSpellings = (id: string): ReadonlyArray<string> => {
  const bare = employeeKey(id)
  const spellings: Array<string> = []
  for (let width = bare.length; width <= 8; width++) spellings.push(bare.padStart(width, "0"))
  return spellings
}

/** DFØ's wire form of an id: a string, or a number in older answers. */
const WireId = Schema.Union(
  Schema.String,
  Schema.transform(Schema.Number, Schema.String, {
    strict: true,
    decode: (n) => String(n),
    encode: (s) => Number(s)
  })
)

/**
 * A DFØ employee, keeping only the fields the writeback reads. DFØ returns many more;
 * unknown fields are ignored, never an error. `hasBrukerident` records whether the
 * answer carried the `brukerident` key at all: only an answer that holds it (as `null`
 * or blank) proves the write-once field is empty (CONTRACT §4 step 8).
 */
export const DfoEmployee = Schema.transform(
  Schema.Struct({
    id: WireId,
    eksternIdent: OptionalText,
    epost: OptionalText,
    brukerident: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true })
  }),
  Schema.Struct({
    id: Schema.String,
    eksternIdent: Schema.optionalWith(Schema.String, { exact: true }),
    epost: Schema.optionalWith(Schema.String, { exact: true }),
    brukerident: Schema.optionalWith(Schema.String, { exact: true }),
    hasBrukerident: Schema.Boolean
  }),
  {
    strict: true,
    decode: ({ brukerident, ...rest }) => ({
      ...rest,
      ...(brukerident === undefined || brukerident === null || brukerident.trim() === ""
        ? {}
        : { brukerident }),
      hasBrukerident: brukerident !== undefined
    }),
    encode: ({ brukerident, hasBrukerident, ...rest }) => ({
      ...rest,
      ...(brukerident !== undefined ? { brukerident } : hasBrukerident ? { brukerident: null } : {})
    })
  }
)
export type DfoEmployee = typeof DfoEmployee.Type

/**
 * The body of `GET {base}` and `GET {base}/{id}`: `ansatt` is a list, or in older
 * answers one employee as an object (CONTRACT §3); decoded to a list either way.
 */
export const DfoEmployeeList = Schema.Struct({
  ansatt: Schema.Union(
    Schema.Array(DfoEmployee),
    Schema.transform(DfoEmployee, Schema.Array(Schema.typeSchema(DfoEmployee)), {
      strict: true,
      decode: (employee) => [employee],
      encode: (list) => list[0] ?? { id: "", hasBrukerident: false }
    })
  )
})
export type DfoEmployeeList = typeof DfoEmployeeList.Type

/** DFØ's error body; `faultText` goes into the user's result message. */
export const DfoFault = Schema.Struct({
  standard: Schema.Struct({ faultText: Schema.String })
})
export type DfoFault = typeof DfoFault.Type

/** A write body: only the fields to change. */
export const DfoPatch = Schema.Struct({
  eksternIdent: Schema.optional(Schema.String),
  epost: Schema.optional(Schema.String),
  brukerident: Schema.optional(Schema.String)
})
export type DfoPatch = typeof DfoPatch.Type

/** The DFØ fields the writeback writes, in the order results list them. */
export const DfoField = Schema.Literal("eksternIdent", "epost", "brukerident")
export type DfoField = typeof DfoField.Type

/** DFØ's field lengths (CONTRACT §1: the API's "maks feltlengde"). */
export const fieldLimits: { readonly [F in DfoField]: number } = {
  eksternIdent: 241,
  epost: 241,
  brukerident: 8
}

/** What reading one employee found (CONTRACT §3). */
export type DfoLookup = Data.TaggedEnum<{
  /** DFØ holds the employee. */
  Found: { readonly employee: DfoEmployee }
  /** DFØ has no such employee (`IKKE ANSATT`, or a 200 with an empty list). */
  NotFound: { readonly faultText: string }
}>
export const DfoLookup = Data.taggedEnum<DfoLookup>()
