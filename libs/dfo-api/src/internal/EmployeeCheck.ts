import type { DfoEmployee } from "@dfo-writeback/domain"

/*
 * The domain's `DfoEmployee` schema cost 6–15 µs an employee (measured); on DFØ's list of
 * 200 000 that is seconds on the thread that also reads LDAP. This check has the
 * schema's semantics for the valid case (a property test holds it to them) and leaves
 * every other case to the schema, which also words the error.
 */

const hasOwn = Object.prototype.hasOwnProperty

/** Marks a field of the wrong type. */
const WRONG = Symbol("wrong")

/** A text field: absent, `null` and blank are no value; any other non-string is wrong. */
const optionalText = (record: object, key: string): string | undefined | typeof WRONG => {
  if (!hasOwn.call(record, key)) return undefined
  const value = (record as Record<string, unknown>)[key]
  if (value === null) return undefined
  if (typeof value !== "string") return WRONG
  return value.trim() === "" ? undefined : value
}

/** The employee `json` decodes to with `DfoEmployee`, or `undefined` when it may not decode. */
export const employeeOf = (json: unknown): DfoEmployee | undefined => {
  if (typeof json !== "object" || json === null || !hasOwn.call(json, "id")) return undefined
  const wireId = (json as { readonly id: unknown }).id
  const id =
    typeof wireId === "string" ? wireId : typeof wireId === "number" ? String(wireId) : undefined
  const eksternIdent = optionalText(json, "eksternIdent")
  const epost = optionalText(json, "epost")
  const brukerident = optionalText(json, "brukerident")
  if (id === undefined || eksternIdent === WRONG || epost === WRONG || brukerident === WRONG) {
    return undefined
  }
  return {
    id,
    ...(eksternIdent === undefined ? {} : { eksternIdent }),
    ...(epost === undefined ? {} : { epost }),
    ...(brukerident === undefined ? {} : { brukerident }),
    hasBrukerident: hasOwn.call(json, "brukerident")
  }
}
