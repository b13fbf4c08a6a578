import { Schema } from "effect"

/** The Portal LDAP attribute a single-user request is looked up by (CONTRACT §2). */
export const KeyField = Schema.Literal("username", "uh-username", "idautoID")
export type KeyField = typeof KeyField.Type

export const keyFields: ReadonlyArray<KeyField> = KeyField.literals
