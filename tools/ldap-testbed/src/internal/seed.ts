import { open } from "node:fs/promises"
import { accountsDn, type Employee, employeeEntry, type TestbedEntry } from "../Employees.js"
import type { Account } from "./directory.js"
import { complete } from "./entries.js"
import { ldifRecord } from "./ldif.js"

/**
 * The LDIF `slapadd` loads: the suffix, the accounts OU, the service account, the people
 * (stamped `modifyTimestamp` when given) and the explicit entries.
 */
export const writeSeedLdif = async (
  file: string,
  suffix: string,
  service: Account,
  employees: ReadonlyArray<Employee>,
  entries: ReadonlyArray<TestbedEntry>,
  modifyTimestamp?: string
): Promise<void> => {
  const stamp = modifyTimestamp === undefined ? {} : { modifyTimestamp }
  const handle = await open(file, "w")
  try {
    await handle.write(
      ldifRecord(suffix, { objectClass: ["dcObject", "organization"], dc: "meta", o: "meta" }) +
        ldifRecord(accountsDn, { objectClass: "organizationalUnit", ou: "Accounts" }) +
        ldifRecord(service.dn, {
          objectClass: ["applicationProcess", "simpleSecurityObject"],
          cn: "writeback",
          userPassword: service.password
        })
    )
    // Chunked so 50 000 people never sit in memory as one string.
    let chunk = ""
    const flush = async () => {
      await handle.write(chunk)
      chunk = ""
    }
    for (const employee of employees) {
      chunk += ldifRecord(employee.dn, { ...employeeEntry(employee), ...stamp })
      if (chunk.length > 1 << 20) await flush()
    }
    for (const entry of entries) {
      const completed = complete(entry)
      chunk += ldifRecord(completed.dn, completed.entry)
    }
    await flush()
  } finally {
    await handle.close()
  }
}
