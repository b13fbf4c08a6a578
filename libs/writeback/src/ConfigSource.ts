import { ConfigError, ConfigProvider, Effect, Schema } from "effect"
import * as fs from "node:fs"

/**
 * Where settings come from, in order: the environment; a secret's `NAME_FILE` form
 * (the value read from that file, trailing newline dropped); the optional JSON file
 * named by `WRITEBACK_CONFIG` (CONTRACT §6), whose keys are the same names plus a
 * `mapping` section.
 */
export const fromEnvironment = (
  env: Readonly<Record<string, string | undefined>>
): Effect.Effect<ConfigProvider.ConfigProvider, ConfigFileError> =>
  Effect.gen(function* () {
    const fileValues = new Map<string, string>()
    for (const key of secretSettings) {
      const name = `${key}_FILE`
      const path = env[name]
      if (path === undefined || path === "" || env[key] !== undefined) continue
      const text = yield* Effect.try({
        try: () => fs.readFileSync(path, "utf8"),
        catch: (cause) => new ConfigFileError({ path, setting: name, reason: describe(cause) })
      })
      fileValues.set(key, text.replace(/\r?\n$/, ""))
    }
    const direct = new Map<string, string>()
    for (const [name, value] of Object.entries(env)) {
      if (value !== undefined) direct.set(name, value)
    }
    for (const [key, value] of fileValues) direct.set(key, value)
    const fromEnv = ConfigProvider.fromMap(direct, { pathDelim: "_", seqDelim: "," })

    const file = env["WRITEBACK_CONFIG"]
    if (file === undefined || file === "") return fromEnv
    const text = yield* Effect.try({
      try: () => fs.readFileSync(file, "utf8"),
      catch: (cause) =>
        new ConfigFileError({ path: file, setting: "WRITEBACK_CONFIG", reason: describe(cause) })
    })
    const json = yield* Schema.decodeUnknown(
      Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
    )(text).pipe(
      Effect.mapError(
        (error) =>
          new ConfigFileError({ path: file, setting: "WRITEBACK_CONFIG", reason: error.message })
      )
    )
    return fromEnv.pipe(ConfigProvider.orElse(() => ConfigProvider.fromJson(json)))
  })

/**
 * The secrets of CONTRACT §6, each also readable from `NAME_FILE`. Other `*_FILE`
 * settings (CA bundles, TLS certificates) name files their owners read themselves.
 */
export const secretSettings = [
  "PORTAL_LDAP_BIND_PASSWORD",
  "SAP_API_KEY",
  "GRPC_AUTH_TOKENS"
] as const

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** A configuration file named in the environment could not be read. */
export class ConfigFileError extends Schema.TaggedError<ConfigFileError>()("ConfigFileError", {
  path: Schema.String,
  setting: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot read ${this.setting} file ${this.path}: ${this.reason}`
  }
}

/**
 * Every problem of a configuration error, one line each, named by setting. A missing
 * setting reads "not set" (a secret's own message is redacted and says nothing), and the
 * repeats a fallback source (`WRITEBACK_CONFIG` behind the environment) adds are dropped.
 */
export const problems = (error: ConfigError.ConfigError): ReadonlyArray<string> => {
  const line = (_: unknown, path: ReadonlyArray<string>, message: string) => [
    path.length === 0 ? message : `${path.join("_")}: ${message}`
  ]
  const all = ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left: ReadonlyArray<string>, right: ReadonlyArray<string>) => [...left, ...right],
    orCase: (_, left: ReadonlyArray<string>, right: ReadonlyArray<string>) => [...left, ...right],
    invalidDataCase: line,
    missingDataCase: (_, path) => [`${path.join("_")}: not set`],
    sourceUnavailableCase: line,
    unsupportedCase: line
  })
  return [...new Set(all)]
}
