import { Schema } from "effect"

/**
 * A directory entry as an LDAP client delivers it: its DN and each attribute's
 * value or values, already decoded to text.
 */
export const LdapEntry = Schema.Struct(
  { dn: Schema.String },
  Schema.Record({
    key: Schema.String,
    value: Schema.Union(Schema.String, Schema.Array(Schema.String))
  })
)
export type LdapEntry = typeof LdapEntry.Type
