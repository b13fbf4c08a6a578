import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { run } from "./process.js"

export interface CertificateFiles {
  readonly caFile: string
  readonly certFile: string
  readonly keyFile: string
}

const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

/**
 * A throw-away CA and a server certificate it signed for 127.0.0.1 and localhost, valid for
 * two days. EC keys keep generation to a few milliseconds.
 */
export const generateCertificates = async (dir: string): Promise<CertificateFiles> => {
  await mkdir(dir, { recursive: true })
  const file = (name: string) => join(dir, name)
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-days",
    "2",
    "-subj",
    "/CN=ldap-testbed throw-away CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout",
    file("ca.key"),
    "-out",
    file("ca.pem")
  ])
  await run("openssl", [
    "req",
    ...ec,
    "-subj",
    "/CN=localhost",
    "-keyout",
    file("server.key"),
    "-out",
    file("server.csr")
  ])
  await writeFile(
    file("server.ext"),
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      ""
    ].join("\n")
  )
  await run("openssl", [
    "x509",
    "-req",
    "-days",
    "2",
    "-in",
    file("server.csr"),
    "-CA",
    file("ca.pem"),
    "-CAkey",
    file("ca.key"),
    "-CAcreateserial",
    "-extfile",
    file("server.ext"),
    "-out",
    file("server.pem")
  ])
  return { caFile: file("ca.pem"), certFile: file("server.pem"), keyFile: file("server.key") }
}
