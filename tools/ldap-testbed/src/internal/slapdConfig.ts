import type { CertificateFiles } from "./certificates.js"

export interface SlapdConfigOptions {
  readonly dir: string
  readonly dataDir: string
  readonly schemaFiles: ReadonlyArray<string>
  readonly modulePath: string | undefined
  readonly suffix: string
  readonly accountsDn: string
  readonly adminDn: string
  readonly adminPassword: string
  readonly bindDn: string
  readonly sizeLimit: number
  readonly tls: CertificateFiles | undefined
}

const quote = (value: string) => `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`

/**
 * A static slapd.conf: one mdb database, a size limit that only paged searches may exceed
 * (size.prtotal=unlimited), and ACLs that give the service account read on the accounts
 * subtree and nothing else.
 */
export const slapdConfig = (o: SlapdConfigOptions): string =>
  [
    ...o.schemaFiles.map((file) => `include ${quote(file)}`),
    `pidfile ${quote(`${o.dir}/slapd.pid`)}`,
    `argsfile ${quote(`${o.dir}/slapd.args`)}`,
    ...(o.modulePath === undefined
      ? []
      : [`modulepath ${quote(o.modulePath)}`, "moduleload back_mdb"]),
    ...(o.tls === undefined
      ? []
      : [
          `TLSCACertificateFile ${quote(o.tls.caFile)}`,
          `TLSCertificateFile ${quote(o.tls.certFile)}`,
          `TLSCertificateKeyFile ${quote(o.tls.keyFile)}`
        ]),
    `sizelimit size.soft=${o.sizeLimit} size.hard=${o.sizeLimit} size.prtotal=unlimited`,
    "",
    "database mdb",
    `suffix ${quote(o.suffix)}`,
    `rootdn ${quote(o.adminDn)}`,
    `rootpw ${quote(o.adminPassword)}`,
    `directory ${quote(o.dataDir)}`,
    // mdb maps this much address space up front (sparse); the default 10 MB is too small
    // for benchmark-sized directories.
    "maxsize 4294967296",
    "index objectClass eq",
    // The lookup keys, and the payroll id a single-user run searches for other claims of:
    // `(idautoPersonPayrollID=*digits*)` is answered from the substring index, not a scan.
    "index idautoID,idautoPersonSystem1ID,idautoPersonSAMAccountName eq",
    "index idautoPersonPayrollID eq,sub",
    // An incremental run's window (modifyTimestamp>=…): mdb answers a range from this index.
    "index modifyTimestamp eq",
    "access to attrs=userPassword by anonymous auth by * none",
    `access to dn.subtree=${quote(o.accountsDn)} by dn.exact=${quote(o.bindDn)} read by * none`,
    "access to * by * none",
    ""
  ].join("\n")
