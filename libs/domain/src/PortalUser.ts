import { Schema } from "effect"

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
 * can refuse to write it. `PortalUserFromEntry` reads one from a directory entry.
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
