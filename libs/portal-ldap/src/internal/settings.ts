import { X509Certificate } from "node:crypto"
import { readFileSync, statSync } from "node:fs"
import { readFile } from "node:fs/promises"
import type { LdapConnectionError } from "@dfo-writeback/domain"
import { Settings as Setting } from "@dfo-writeback/edge"
import { Config, Effect } from "effect"
import { settings as declared } from "../LdapSettings.js"
import type { Options } from "../PortalDirectory.js"
import { failure, type Settings } from "./connection.js"

export const positiveInteger = ({ default: fallback, name }: Setting.Declared<"integer", number>) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    // A validation's error carries no path, so the message names the variable.
    Config.validate({ message: `${name} must be a positive integer`, validation: (n) => n > 0 })
  )

/** Node.js timers overflow above 2^31 − 1 ms and then fire at once: every bind would time out. */
export const timeout = (entry: Setting.Declared<"integer", number>) =>
  positiveInteger(entry).pipe(
    Config.validate({
      message: `${entry.name} must be at most ${Setting.maxTimerMs} ms`,
      validation: (n) => n <= Setting.maxTimerMs
    })
  )

/** A CA bundle holds at least one PEM certificate and nothing that fails to parse as one. */
export const caBundleProblem = (path: string): string | undefined => {
  let text: string
  try {
    if (!statSync(path).isFile()) return `${path} is not a regular file`
    text = readFileSync(path, "utf8")
  } catch (error) {
    return `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
  if (blocks.length === 0) return `${path} holds no PEM certificate`
  try {
    for (const block of blocks) new X509Certificate(block)
    return undefined
  } catch (error) {
    return `${path} holds a certificate that does not parse: ${error instanceof Error ? error.message : String(error)}`
  }
}

export const parseUrl = (url: string) => {
  const match = /^(ldaps?):\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?\/?$/i.exec(url.trim())
  if (match === null) return undefined
  const ldaps = match[1]?.toLowerCase() === "ldaps"
  const host = (match[2] ?? "").replace(/^\[(.*)\]$/, "$1")
  const port = match[3] === undefined ? (ldaps ? 636 : 389) : Number(match[3])
  return port > 0 && port < 65536 ? { ldaps, host, port } : undefined
}

export const settingsFrom = (options: Options): Effect.Effect<Settings, LdapConnectionError> =>
  Effect.gen(function* () {
    const parsed = parseUrl(options.url)
    const base = {
      url: options.url,
      host: parsed?.host ?? "",
      port: parsed?.port ?? 0,
      ldaps: parsed?.ldaps ?? false,
      startTls: options.startTls ?? false,
      ca: undefined,
      bindDn: options.bindDn,
      bindPassword: options.bindPassword,
      connectTimeoutMs: options.connectTimeoutMs ?? declared.connectTimeoutMs.default,
      timeoutMs: options.timeoutMs ?? declared.timeoutMs.default
    }
    if (parsed === undefined) {
      return yield* Effect.fail(
        failure(base, "connect", "not an ldap://host[:port] or ldaps://host[:port] URL")
      )
    }
    if (base.startTls && base.ldaps) {
      return yield* Effect.fail(
        failure(base, "tls", "StartTLS applies to ldap:// URLs only (ldaps:// is TLS already)")
      )
    }
    const caFile = options.caFile
    if (caFile === undefined) return base
    const ca = yield* Effect.tryPromise({
      try: () => readFile(caFile),
      catch: (error) => failure(base, "tls", `cannot read CA file: ${String(error)}`)
    })
    return { ...base, ca }
  })
