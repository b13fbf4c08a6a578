import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { CommandExecutor } from "@effect/platform"
import { Effect } from "effect"
import { LdapTestbedError } from "./error.js"
import { runOrFail } from "./run.js"

export interface CertificateFiles {
  readonly caFile: string
  /** The server's certificate (127.0.0.1, localhost) and key. */
  readonly certFile: string
  readonly keyFile: string
  /** A client certificate the same CA signed, for mutual TLS. */
  readonly clientCertFile: string
  readonly clientKeyFile: string
}

const files = (write: () => Promise<unknown>) =>
  Effect.tryPromise({
    try: write,
    catch: (error) => new LdapTestbedError({ message: `certificates: ${String(error)}` })
  })

const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

/**
 * A throw-away CA, a server certificate for 127.0.0.1 and localhost and a client
 * certificate, all valid for two days. EC keys keep generation to a few milliseconds.
 */
export const generateCertificates = (
  dir: string
): Effect.Effect<CertificateFiles, LdapTestbedError, CommandExecutor.CommandExecutor> =>
  Effect.gen(function* () {
    yield* files(() => mkdir(dir, { recursive: true }))
    const file = (name: string) => join(dir, name)
    yield* runOrFail("openssl", [
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
    const issue = (name: string, subject: string, extensions: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        yield* runOrFail("openssl", [
          "req",
          ...ec,
          "-subj",
          subject,
          "-keyout",
          file(`${name}.key`),
          "-out",
          file(`${name}.csr`)
        ])
        yield* files(() => writeFile(file(`${name}.ext`), [...extensions, ""].join("\n")))
        yield* runOrFail("openssl", [
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
      })
    const leaf = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature"]
    yield* issue("server", "/CN=localhost", [
      ...leaf,
      "extendedKeyUsage=serverAuth",
      "subjectAltName=IP:127.0.0.1,DNS:localhost"
    ])
    yield* issue("client", "/CN=writeback test client", [...leaf, "extendedKeyUsage=clientAuth"])
    return {
      caFile: file("ca.pem"),
      certFile: file("server.pem"),
      keyFile: file("server.key"),
      clientCertFile: file("client.pem"),
      clientKeyFile: file("client.key")
    }
  })
