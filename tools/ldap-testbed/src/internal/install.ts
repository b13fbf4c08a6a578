import { join } from "node:path"
import { Apt, Executables } from "@dfo-writeback/testkit"
import type { CommandExecutor } from "@effect/platform"
import { Effect } from "effect"
import { LdapTestbedError } from "./error.js"

export interface SlapdTools {
  readonly slapd: string
  readonly slapadd: string
  /** Where `back_mdb` is a loadable module (Debian), else undefined (built in). */
  readonly modulePath: string | undefined
}

export const installHint =
  "slapd is not installed: run `sudo apt-get install -y slapd ldap-utils` (Debian/Ubuntu)"

const modulePaths = ["/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap"]
const sbin = ["/usr/sbin", "/usr/local/sbin", "/usr/libexec", "/usr/local/libexec"]

const find = (): SlapdTools | undefined => {
  const slapd = Executables.locate("slapd", sbin)
  const slapadd = Executables.locate("slapadd", sbin)
  if (slapd === undefined || slapadd === undefined) return undefined
  const modulePath = modulePaths.find((dir) => Executables.isReadable(join(dir, "back_mdb.la")))
  return { slapd, slapadd, modulePath }
}

const toError = (error: { readonly message: string }) =>
  new LdapTestbedError({ message: error.message })

/**
 * The slapd binaries, installed with apt-get first when they are missing and we are root
 * (the DESIGN's rule: install when we can, else say in one line how to). Two testbeds
 * installing at once wait on dpkg's lock; the second finds slapd installed.
 */
export const ensureSlapd = (
  allowInstall: boolean
): Effect.Effect<SlapdTools, LdapTestbedError, CommandExecutor.CommandExecutor> =>
  Apt.ensure(find, ["slapd", "ldap-utils"], installHint, allowInstall).pipe(
    Effect.mapError(toError)
  )
