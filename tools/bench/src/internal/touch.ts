/**
 * An incremental scenario's set-up: entries modified the way a directory change modifies
 * them, so the server sets their `modifyTimestamp` to now. The attribute written is one
 * no run reads, so a full run over the same directory afterwards still finds nothing to
 * change.
 */
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { Effect } from "effect"

/** `count` DNs spread evenly over `dns`, so the changes land on many pages. */
export const spread = (dns: ReadonlyArray<string>, count: number): ReadonlyArray<string> => {
  const step = Math.max(1, Math.floor(dns.length / count))
  return dns.filter((_, index) => index % step === 0).slice(0, count)
}

/** Replaces each entry's `description`, which stamps its `modifyTimestamp`. */
export const touch = (
  manager: LdapTestbed.Manager,
  dns: ReadonlyArray<string>
): Effect.Effect<void> =>
  Effect.suspend(() => {
    const values = [`touched by the bench at ${new Date().toISOString()}`]
    return LdapTestbed.replaceAttributes(
      manager,
      dns.map((dn) => ({ dn, attribute: "description", values }))
    )
  }).pipe(Effect.orDie)
