/**
 * The floors of a full run: reading every account with paged results and nothing else,
 * once with OpenLDAP's own `ldapsearch` (C) and once with bare ldapts, the LDAP client
 * PortalDirectory is built on. Plain promises on purpose: the floor carries no Effect.
 */
import { spawn } from "node:child_process"
import { Client } from "ldapts"
import type { LdapBackend, Measured } from "../internal/protocol.js"
import { watchPeakRss } from "../internal/rss.js"
import { now } from "../internal/timing.js"

const filter = "(objectClass=idautoPerson)"
const pageSize = 500

/** `ldapsearch -E pr=500/noprompt` to /dev/null: wall time and the C client's own peak RSS. */
export const ldapsearch = (
  ldap: LdapBackend,
  attributes: ReadonlyArray<string>
): Promise<Measured> =>
  new Promise((resolve, reject) => {
    const args = [
      ...["-x", "-LLL", "-H", ldap.url, "-D", ldap.bindDn, "-w", ldap.password],
      ...["-b", ldap.baseDn, "-E", `pr=${pageSize}/noprompt`, filter, ...attributes]
    ]
    const start = now()
    const child = spawn("ldapsearch", args, { stdio: ["ignore", "ignore", "pipe"] })
    const rss = child.pid === undefined ? undefined : watchPeakRss(child.pid)
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.once("error", (error) => {
      rss?.stop()
      reject(new Error(`ldapsearch: ${error.message}`))
    })
    child.once("close", (code) => {
      const wallMs = now() - start
      const peakRssMb = rss?.stop() ?? 0
      if (code === 0) resolve({ wallMs, peakRssMb, metrics: {} })
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
    const start = now()
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
    return { wallMs: now() - start, users: entries, metrics: { entries } }
  } finally {
    await client.unbind().catch(() => undefined)
  }
}
