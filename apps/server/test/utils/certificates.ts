import { execFile } from "node:child_process"
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)

export interface Certificates {
  readonly dir: string
  readonly caFile: string
  readonly serverCertFile: string
  readonly serverKeyFile: string
  readonly clientCertFile: string
  readonly clientKeyFile: string
}

const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

/** A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, via openssl. */
export const generate = async (): Promise<Certificates> => {
  const dir = await mkdtemp(join(tmpdir(), "writeback-server-tls-"))
  const file = (name: string) => join(dir, name)
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-days",
    "1",
    "-subj",
    "/CN=writeback test CA",
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
      "1",
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
  await issue("server", "/CN=localhost", [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth",
    "subjectAltName=IP:127.0.0.1,DNS:localhost"
  ])
  await issue("client", "/CN=iam-workflows", [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature",
    "extendedKeyUsage=clientAuth"
  ])
  return {
    dir,
    caFile: file("ca.pem"),
    serverCertFile: file("server.pem"),
    serverKeyFile: file("server.key"),
    clientCertFile: file("client.pem"),
    clientKeyFile: file("client.key")
  }
}
