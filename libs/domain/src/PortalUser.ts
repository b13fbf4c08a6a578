import { ParseResult, Schema } from "effect"
import type { AttributeMapping } from "./AttributeMapping.js"
import { withoutSpaces } from "./EmployeeIdRule.js"
import { LdapEntry } from "./LdapEntry.js"

/** A value the writeback reads from one attribute that holds several (LDAP does not order them). */
export const MultiValued = Schema.Struct({
  field: Schema.Literal("sapId", "eksternIdent", "epost", "brukerident"),
  attribute: Schema.String,
  count: Schema.Number
})
export type MultiValued = typeof MultiValued.Type

/**
 * A Portal LDAP account reduced to what the writeback rules read. Text values are
 * trimmed, the employee id only of spaces (`readEmployeeId` is its rule); an absent or
 * blank attribute is left out. A value taken from an attribute
 * with several values is its first one, and is listed in `multiValued`, so the rules
 * can refuse to write it.
 */
export class PortalUser extends Schema.Class<PortalUser>("PortalUser")({
  dn: Schema.String,
  idautoId: Schema.optional(Schema.String),
  sapId: Schema.optional(Schema.String),
  eksternIdent: Schema.optional(Schema.String),
  epost: Schema.optional(Schema.String),
  brukerident: Schema.optional(Schema.String),
  username: Schema.optional(Schema.String),
  uhUsername: Schema.optional(Schema.String),
  disabled: Schema.Boolean,
  deleted: Schema.Boolean,
  entitlements: Schema.Array(Schema.String),
  businessRoles: Schema.Array(Schema.String),
  multiValued: Schema.Array(MultiValued)
}) {}

const isTrue = (values: ReadonlyArray<string>) => values.some((v) => v.toUpperCase() === "TRUE")

/**
 * Reads an entry through the attribute mapping. LDAP attribute names are
 * case-insensitive, so lookups are too. Of a field's sources the first with a
 * non-blank value supplies it; when that attribute holds several distinct values,
 * the field is recorded in `multiValued`.
 */
export const decodePortalUser =
  (mapping: AttributeMapping) =>
  (entry: LdapEntry): PortalUser => {
    const byName = new Map<string, ReadonlyArray<string>>()
    for (const [name, value] of Object.entries(entry)) {
      if (name === "dn") continue
      const values = (typeof value === "string" ? [value] : value).filter((v) => v.trim() !== "")
      byName.set(name.toLowerCase(), values)
    }
    const untrimmed = (name: string) => byName.get(name.toLowerCase()) ?? []
    const values = (name: string) => untrimmed(name).map((v) => v.trim())
    const multiValued: Array<MultiValued> = []
    const first = (
      field: MultiValued["field"],
      names: ReadonlyArray<string>,
      read: (name: string) => ReadonlyArray<string> = values
    ) => {
      for (const name of names) {
        const found = read(name)
        const [value] = found
        if (value === undefined) continue
        const count = found.length > 1 ? new Set(found).size : 1
        if (count > 1) multiValued.push({ field, attribute: name, count })
        return value
      }
      return undefined
    }
    const single = (name: string) => values(name)[0]
    const optional = <K extends string>(key: K, value: string | undefined) =>
      (value === undefined ? {} : { [key]: value }) as { [P in K]?: string }
    // Built from strings just read, so the class's own validation would only repeat it.
    return new PortalUser(
      {
        dn: entry.dn,
        ...optional("idautoId", single(mapping.idautoId)),
        // Only spaces stripped: the employee id rule decides about a TAB, CR or BOM.
        ...optional(
          "sapId",
          first("sapId", [mapping.sapId], (name) => untrimmed(name).map(withoutSpaces))
        ),
        ...optional("eksternIdent", first("eksternIdent", mapping.eksternIdent)),
        ...optional("epost", first("epost", mapping.epost)),
        ...optional("brukerident", first("brukerident", mapping.brukerident)),
        ...optional("username", single(mapping.username)),
        ...optional("uhUsername", single(mapping.uhUsername)),
        disabled: isTrue(values(mapping.disabled)),
        deleted: isTrue(values(mapping.deleted)),
        entitlements: mapping.entitlements.flatMap(values),
        businessRoles: values(mapping.businessRoles),
        multiValued
      },
      true
    )
  }

/** `decodePortalUser` as a Schema, for decoding entries of unknown shape at a boundary. */
export const PortalUserFromEntry = (mapping: AttributeMapping) =>
  Schema.transformOrFail(LdapEntry, Schema.typeSchema(PortalUser), {
    strict: true,
    decode: (entry) => ParseResult.succeed(decodePortalUser(mapping)(entry)),
    encode: (user, _, ast) =>
      ParseResult.fail(
        new ParseResult.Forbidden(ast, user, "a PortalUser is never written to LDAP")
      )
  })
