/**
 * The floors of a full run: reading every account with paged results and nothing else,
 * once with OpenLDAP's own `ldapsearch` (C) and once with bare ldapts, the LDAP client
 * PortalDirectory is built on. Plain promises on purpose: the floor carries no Effect.
 */
import { spawn } from "node:child_process"
import { Client } from "ldapts"
import type { LdapBackend, Measured } from "../internal/protocol.js"
import { stopwatch } from "../internal/timing.js"
import { watchProcess } from "../internal/watch.js"

const filter = "(objectClass=idautoPerson)"
const pageSize = 500

/**
 * `ldapsearch -E pr=500/noprompt` to /dev/null: wall time, and the C client's own peak RSS
 * and CPU time.
 */
export const ldapsearch = (
  ldap: LdapBackend,
  attributes: ReadonlyArray<string>
): Promise<Measured> =>
  new Promise((resolve, reject) => {
    const args = [
      ...["-x", "-LLL", "-H", ldap.url, "-D", ldap.bindDn, "-w", ldap.password],
      ...["-b", ldap.baseDn, "-E", `pr=${pageSize}/noprompt`, filter, ...attributes]
    ]
    const elapsed = stopwatch()
    const child = spawn("ldapsearch", args, { stdio: ["ignore", "ignore", "pipe"] })
    const cost = child.pid === undefined ? undefined : watchProcess(child.pid)
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.once("error", (error) => {
      cost?.stop()
      reject(new Error(`ldapsearch: ${error.message}`))
    })
    child.once("close", (code) => {
      const { wallMs } = elapsed()
      const { peakRssMb, cpuMs } = cost?.stop() ?? { peakRssMb: 0, cpuMs: 0 }
      if (code === 0) resolve({ wallMs, cpuMs, peakRssMb, metrics: {} })
      else reject(new Error(`ldapsearch exited ${code}: ${stderr.trim()}`))
    })
  })

/** A bare ldapts paged read of the same entries: bind, page through, count. */
export const ldapts = async (
  ldap: LdapBackend,
  attributes: ReadonlyArray<string>
): Promise<Measured> => {
  const client = new Client({ url: ldap.url })
  try {
    const elapsed = stopwatch()
    await client.bind(ldap.bindDn, ldap.password)
    let entries = 0
    for await (const page of client.searchPaginated(ldap.baseDn, {
      scope: "sub",
      filter,
      attributes: [...attributes],
      paged: { pageSize }
    })) {
      entries += page.searchEntries.length
    }
    return { ...elapsed(), users: entries, metrics: { entries } }
  } finally {
    await client.unbind().catch(() => undefined)
  }
}
