import { Schema } from "effect"

/** The throw-away slapd could not be started, restarted or loaded. */
export class LdapTestbedError extends Schema.TaggedError<LdapTestbedError>()("LdapTestbedError", {
  message: Schema.String
}) {}
