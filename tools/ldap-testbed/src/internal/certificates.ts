import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { run } from "./process.js"

export interface CertificateFiles {
  readonly caFile: string
  /** The server's certificate (127.0.0.1, localhost) and key. */
  readonly certFile: string
  readonly keyFile: string
  /** A client certificate the same CA signed, for mutual TLS. */
  readonly clientCertFile: string
  readonly clientKeyFile: string
}

const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

/**
 * A throw-away CA, a server certificate for 127.0.0.1 and localhost and a client
 * certificate, all valid for two days. EC keys keep generation to a few milliseconds.
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
    "/CN=dfo-writeback throw-away CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout",
    file("ca.key"),
    "-out",
    file("ca.pem")
  ])
  const issue = async (name: string, subject: string, extensions: ReadonlyArray<string>) => {
    await run("openssl", [
      "req",
      ...ec,
      "-subj",
      subject,
      "-keyout",
      file(`${name}.key`),
      "-out",
      file(`${name}.csr`)
    ])
    await writeFile(file(`${name}.ext`), [...extensions, ""].join("\n"))
    await run("openssl", [
      "x509",
      "-req",
      "-days",
      "2",
      "-in",
      file(`${name}.csr`),
      "-CA",
      file("ca.pem"),
      "-CAkey",
      file("ca.key"),
      "-CAcreateserial",
      "-extfile",
      file(`${name}.ext`),
      "-out",
      file(`${name}.pem`)
    ])
  }
  const leaf = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature"]
  await issue("server", "/CN=localhost", [
    ...leaf,
    "extendedKeyUsage=serverAuth",
    "subjectAltName=IP:127.0.0.1,DNS:localhost"
  ])
  await issue("client", "/CN=writeback test client", [...leaf, "extendedKeyUsage=clientAuth"])
  return {
    caFile: file("ca.pem"),
    certFile: file("server.pem"),
    keyFile: file("server.key"),
    clientCertFile: file("client.pem"),
    clientKeyFile: file("client.key")
  }
}
