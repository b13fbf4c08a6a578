import { ParseResult, Schema } from "effect"
import type { AttributeMapping } from "./AttributeMapping.js"
import { LdapEntry } from "./LdapEntry.js"

/**
 * A Portal LDAP account reduced to what the writeback rules read. Text values are
 * trimmed; an absent or blank attribute is left out.
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
  businessRoles: Schema.Array(Schema.String)
}) {}

const isTrue = (values: ReadonlyArray<string>) => values.some((v) => v.toUpperCase() === "TRUE")

/**
 * Reads an entry through the attribute mapping. LDAP attribute names are
 * case-insensitive, so lookups are too; a multi-valued source yields its first
 * non-blank value.
 */
export const decodePortalUser =
  (mapping: AttributeMapping) =>
  (entry: LdapEntry): PortalUser => {
    const byName = new Map<string, ReadonlyArray<string>>()
    for (const [name, value] of Object.entries(entry)) {
      if (name === "dn") continue
      const values = (typeof value === "string" ? [value] : value)
        .map((v) => v.trim())
        .filter((v) => v !== "")
      byName.set(name.toLowerCase(), values)
    }
    const values = (name: string) => byName.get(name.toLowerCase()) ?? []
    const first = (...names: ReadonlyArray<string>) => {
      for (const name of names) {
        const [value] = values(name)
        if (value !== undefined) return value
      }
      return undefined
    }
    const optional = <K extends string>(key: K, value: string | undefined) =>
      (value === undefined ? {} : { [key]: value }) as { [P in K]?: string }
    // Built from strings just read, so the class's own validation would only repeat it.
    return new PortalUser(
      {
        dn: entry.dn,
        ...optional("idautoId", first(mapping.idautoId)),
        ...optional("sapId", first(mapping.sapId)),
        ...optional("eksternIdent", first(...mapping.eksternIdent)),
        ...optional("epost", first(...mapping.epost)),
        ...optional("brukerident", first(...mapping.brukerident)),
        ...optional("username", first(mapping.username)),
        ...optional("uhUsername", first(mapping.uhUsername)),
        disabled: isTrue(values(mapping.disabled)),
        deleted: isTrue(values(mapping.deleted)),
        entitlements: mapping.entitlements.flatMap(values),
        businessRoles: values(mapping.businessRoles)
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
