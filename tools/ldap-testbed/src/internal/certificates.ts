import { Certificates } from "@dfo-writeback/testkit"
import type { CommandExecutor } from "@effect/platform"
import { Effect } from "effect"
import { LdapTestbedError } from "./error.js"

export type CertificateFiles = Certificates.CertificateFiles

/** testkit's throw-away CA, server and client certificates, failing as the testbed does. */
export const generateCertificates = (
  dir: string
): Effect.Effect<CertificateFiles, LdapTestbedError, CommandExecutor.CommandExecutor> =>
  Certificates.generate(dir).pipe(
    Effect.mapError((error) => new LdapTestbedError({ message: error.message }))
  )
