import { join } from "node:path"
import { Apt, ChildProcess, Executables } from "@dfo-writeback/testkit"
import { Effect } from "effect"

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

let installing: Promise<SlapdTools> | undefined

/**
 * The slapd binaries, installed with apt-get first when they are missing and we are root
 * (the DESIGN's rule: install when we can, else say in one line how to).
 */
export const ensureSlapd = (allowInstall: boolean): Promise<SlapdTools> => {
  const found = find()
  if (found !== undefined) return Promise.resolve(found)
  if (!allowInstall) return Promise.reject(new Error(installHint))
  installing ??= Effect.runPromise(
    Apt.install(["slapd", "ldap-utils"], installHint).pipe(Effect.provide(ChildProcess.layer))
  )
    .then(() => {
      const tools = find()
      if (tools === undefined) throw new Error(`${installHint} (installed, not found)`)
      return tools
    })
    .catch((error: unknown) => {
      installing = undefined
      throw error instanceof Error ? error : new Error(String(error))
    })
  return installing
}
