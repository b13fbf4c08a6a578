import { Schema } from "effect"

/** The settings the per-user rules depend on (CONTRACT §4, §6). */
export const WritebackRules = Schema.Struct({
  /** `SAP_WRITEBACK_BRUKERIDENT`: also write `brukerident` (by default the employee number). */
  writebackBrukerident: Schema.Boolean,
  /** `SAP_WRITEBACK_BUSINESS_ROLE_EXCEPTION`: users holding one of these roles are skipped. */
  businessRoleExceptions: Schema.Array(Schema.String)
})
export type WritebackRules = typeof WritebackRules.Type
