import { accessSync, constants } from "node:fs"
import { delimiter, join } from "node:path"
import { run } from "./process.js"

export interface SlapdTools {
  readonly slapd: string
  readonly slapadd: string
  /** Where `back_mdb` is a loadable module (Debian), else undefined (built in). */
  readonly modulePath: string | undefined
}

export const installHint =
  "slapd is not installed: run `sudo apt-get install -y slapd ldap-utils` (Debian/Ubuntu)"

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

const locate = (name: string): string | undefined => {
  const dirs = [
    ...(process.env["PATH"] ?? "").split(delimiter),
    "/usr/sbin",
    "/usr/local/sbin",
    "/usr/libexec",
    "/usr/local/libexec"
  ]
  return dirs
    .filter((d) => d !== "")
    .map((d) => join(d, name))
    .find(executable)
}

const modulePaths = ["/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap"]

const readable = (path: string) => {
  try {
    accessSync(path, constants.R_OK)
    return true
  } catch {
    return false
  }
}

const find = (): SlapdTools | undefined => {
  const slapd = locate("slapd")
  const slapadd = locate("slapadd")
  if (slapd === undefined || slapadd === undefined) return undefined
  const modulePath = modulePaths.find((dir) => readable(join(dir, "back_mdb.la")))
  return { slapd, slapadd, modulePath }
}

const aptInstall = () =>
  run(
    "apt-get",
    [
      "install",
      "-y",
      "--no-install-recommends",
      "-o",
      "DPkg::Lock::Timeout=300",
      "slapd",
      "ldap-utils"
    ],
    { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }
  )

let installing: Promise<SlapdTools> | undefined

/**
 * The slapd binaries, installed with apt-get first when they are missing and we are root
 * (the DESIGN's rule: install when we can, else say in one line how to).
 */
export const ensureSlapd = (allowInstall: boolean): Promise<SlapdTools> => {
  const found = find()
  if (found !== undefined) return Promise.resolve(found)
  if (!allowInstall || process.getuid?.() !== 0 || locate("apt-get") === undefined) {
    return Promise.reject(new Error(installHint))
  }
  installing ??= aptInstall()
    .catch(() => run("apt-get", ["update", "-o", "DPkg::Lock::Timeout=300"]).then(aptInstall))
    .then(() => {
      const tools = find()
      if (tools === undefined) throw new Error(installHint)
      return tools
    })
    .catch((error: unknown) => {
      installing = undefined
      throw new Error(`${installHint} (automatic install failed: ${String(error)})`)
    })
  return installing
}
