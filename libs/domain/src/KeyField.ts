import { Schema } from "effect"

/**
 * The Portal LDAP attribute a single-user request is looked up by (CONTRACT §2).
 * `employee-id` matches the employee id by numeric value (`30202` finds `00030202`).
 */
export const KeyField = Schema.Literal("username", "uh-username", "idautoID", "employee-id")
export type KeyField = typeof KeyField.Type

export const keyFields: ReadonlyArray<KeyField> = KeyField.literals
