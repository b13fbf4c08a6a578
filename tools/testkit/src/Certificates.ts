/**
 * Throw-away TLS material made with the `openssl` CLI: a CA, a server certificate for
 * 127.0.0.1 and localhost, and a client certificate the same CA signed (for mutual TLS),
 * all valid for two days. EC keys keep generation to a few milliseconds.
 */
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { CommandExecutor } from "@effect/platform"
import { Effect, Schema } from "effect"
import * as ChildProcess from "./ChildProcess.js"

export interface CertificateFiles {
  /** The CA's PEM: what a client trusts. */
  readonly caFile: string
  /** The server's certificate (127.0.0.1, localhost) and key. */
  readonly certFile: string
  readonly keyFile: string
  /** A client certificate the same CA signed, for mutual TLS. */
  readonly clientCertFile: string
  readonly clientKeyFile: string
}

/** `openssl` failed, or the files could not be written. */
export class CertificateError extends Schema.TaggedError<CertificateError>()("CertificateError", {
  detail: Schema.String
}) {
  override get message() {
    return `certificates: ${this.detail}`
  }
}

const files = (write: () => Promise<unknown>) =>
  Effect.tryPromise({
    try: write,
    catch: (error) => new CertificateError({ detail: String(error) })
  })

const openssl = (args: ReadonlyArray<string>) =>
  ChildProcess.runOk("openssl", args).pipe(
    Effect.mapError((error) => new CertificateError({ detail: error.message }))
  )

const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

/** Writes the CA, server and client certificates into `dir` (made when missing). */
export const generate = (
  dir: string
): Effect.Effect<CertificateFiles, CertificateError, CommandExecutor.CommandExecutor> =>
  Effect.gen(function* () {
    yield* files(() => mkdir(dir, { recursive: true }))
    const file = (name: string) => join(dir, name)
    yield* openssl([
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
        yield* openssl([
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
        yield* openssl([
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
