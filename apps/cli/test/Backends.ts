import { DfoEmulator } from "@dfo-writeback/dfo-emulator"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { Effect } from "effect"

/**
 * The CLI's environment over a suite's slapd and emulator (the emulator back to its
 * starting records): no rate limit, no retries unless `extra` says so, JSON logs.
 */
export const environment = (extra: Readonly<Record<string, string>> = {}) =>
  Effect.gen(function* () {
    const testbed = yield* LdapTestbed.LdapTestbed
    const emulator = yield* DfoEmulator
    emulator.reset()
    return {
      emulator,
      env: {
        ...testbed.environment,
        ...emulator.environment,
        SAP_MAX_RPS: "100000",
        SAP_MAX_RETRIES: "0",
        LOG_FORMAT: "json",
        ...extra
      } as Record<string, string>
    }
  })
