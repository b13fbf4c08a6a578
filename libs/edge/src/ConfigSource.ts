import { type Config, ConfigError, ConfigProvider, Effect, Either, Schema } from "effect"
import * as fs from "node:fs"
import { isServiceLink } from "./internal/serviceLinks.js"
import { unknownName } from "./internal/suggest.js"
import { settings } from "./EdgeSettings.js"
import * as Settings from "./Settings.js"

/** The largest `WRITEBACK_CONFIG` or `*_FILE` read: `/dev/zero` must not grow the process. */
export const maxFileBytes = 1024 * 1024

/** A configuration file or value could not be used; every problem, one line each. */
export class ConfigFileError extends Schema.TaggedError<ConfigFileError>()("ConfigFileError", {
  problems: Schema.NonEmptyArray(Schema.String)
}) {
  override get message() {
    return `invalid configuration: ${this.problems.join("; ")}`
  }
}

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const sizeText = (bytes: number) =>
  bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`

/**
 * Reads a regular file of at most `maxBytes` (`maxFileBytes` unless given) as strict
 * UTF-8. The type and size are checked before opening (a FIFO would block `open`, a device
 * never ends), and again on the open descriptor, and no more than the limit is ever read.
 */
export const readBoundedFile = (
  path: string,
  maxBytes: number = maxFileBytes
): Either.Either<string, string> => {
  const tooLarge = Either.left(`${path} is larger than ${sizeText(maxBytes)}`)
  try {
    const before = fs.statSync(path)
    if (!before.isFile()) return Either.left(`${path} is not a regular file`)
    if (before.size > maxBytes) return tooLarge
    const fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0))
    try {
      const opened = fs.fstatSync(fd)
      if (!opened.isFile()) return Either.left(`${path} is not a regular file`)
      // Sized by the file, grown only if it grows while read: a large limit costs nothing.
      let buffer = Buffer.alloc(Math.min(opened.size, maxBytes) + 1)
      let length = 0
      for (;;) {
        if (length === buffer.length) {
          const grown = Buffer.alloc(Math.min(buffer.length * 2, maxBytes + 1))
          buffer.copy(grown)
          buffer = grown
        }
        const n = fs.readSync(fd, buffer, length, buffer.length - length, null)
        if (n === 0) break
        length += n
        if (length > maxBytes) return tooLarge
      }
      return Either.right(
        new TextDecoder("utf-8", { fatal: true }).decode(buffer.subarray(0, length))
      )
    } finally {
      fs.closeSync(fd)
    }
  } catch (cause) {
    return Either.left(`cannot read ${path}: ${describe(cause)}`)
  }
}

/**
 * Where one value of the flat map came from: the environment, a secret's `NAME_FILE`
 * (`variable` names it), or the `WRITEBACK_CONFIG` file (`path`).
 */
export type Source =
  | { readonly _tag: "environment" }
  | { readonly _tag: "secretFile"; readonly variable: string }
  | { readonly _tag: "configFile"; readonly path: string }

interface Gathered {
  /** Flat `NAME → value`, the environment's entries replacing the file's whole. */
  readonly values: Map<string, string>
  /** Where each entry of `values` came from, set where the entry is. */
  readonly sources: Map<string, Source>
  readonly problems: Array<string>
  /** Settings a problem above already names: their "not set" would only repeat it. */
  readonly named: Set<string>
}

const set = (into: Gathered, name: string, value: string, source: Source) => {
  into.values.set(name, value)
  into.sources.set(name, source)
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const attributeName = /^[A-Za-z][A-Za-z0-9-]*$|^\d+(?:\.\d+)+$/

/** A file value as the environment would hold it, or why it has the wrong type. */
const fileValue = (type: Settings.SettingType, value: unknown): Either.Either<string, string> => {
  switch (type) {
    // The file may also write a boolean or a number as the environment would, as a string.
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false"
        ? Either.right(String(value))
        : Either.left("must be true or false")
    case "integer":
      return (typeof value === "number" && Number.isSafeInteger(value)) ||
        (typeof value === "string" && /^-?\d{1,15}$/.test(value))
        ? Either.right(String(value))
        : Either.left("must be a whole number")
    case "number":
      return (typeof value === "number" && Number.isFinite(value)) ||
        (typeof value === "string" && /^-?\d+(?:\.\d+)?$/.test(value))
        ? Either.right(String(value))
        : Either.left("must be a number")
    case "text":
    case "path":
      if (typeof value !== "string") return Either.left("must be a string")
      return value.trim() === "" ? Either.left("is empty") : Either.right(value.trim())
    case "list":
      if (typeof value === "string") {
        return value.trim() === "" ? Either.left("is empty") : Either.right(value)
      }
      if (
        Array.isArray(value) &&
        value.length > 0 &&
        value.every((item) => typeof item === "string" && item.trim() !== "" && !item.includes(","))
      ) {
        return Either.right(value.join(","))
      }
      return Either.left("must be a comma-separated string or a non-empty list of strings")
  }
}

/** A `mapping` entry as the environment would hold it, or why it is wrong. */
const mappingValue = (
  kind: "attribute" | "attributes" | "value",
  value: unknown
): Either.Either<string, string> => {
  const isName = (item: unknown): item is string =>
    typeof item === "string" && attributeName.test(item)
  switch (kind) {
    case "attribute":
      return isName(value) ? Either.right(value) : Either.left("must be one attribute name")
    case "attributes":
      return Array.isArray(value) && value.length > 0 && value.every(isName)
        ? Either.right(value.join(","))
        : Either.left("must be a non-empty list of attribute names")
    case "value":
      return typeof value === "string" && value.trim() !== ""
        ? Either.right(value.trim())
        : Either.left("must be a non-empty string")
  }
}

/** The `WRITEBACK_CONFIG` file's entries, type-checked; keys the environment holds are left out. */
const readConfigFile = (
  catalogue: Settings.Catalogue,
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  into: Gathered
) => {
  const where = `WRITEBACK_CONFIG ${path}`
  const text = readBoundedFile(path)
  if (Either.isLeft(text)) return void into.problems.push(`WRITEBACK_CONFIG: ${text.left}`)
  let json: unknown
  try {
    json = JSON.parse(text.right)
  } catch (cause) {
    return void into.problems.push(`${where}: not JSON: ${describe(cause)}`)
  }
  if (!isRecord(json)) return void into.problems.push(`${where}: must hold a JSON object`)
  for (const [key, value] of Object.entries(json)) {
    if (key === "mapping") {
      if (!isRecord(value)) {
        into.problems.push(`${where}: mapping must be an object`)
        continue
      }
      for (const [field, sources] of Object.entries(value)) {
        const kind = catalogue.mapping[field]
        if (kind === undefined) {
          into.problems.push(
            `${where}: ${unknownName("mapping key", field, Object.keys(catalogue.mapping))}`
          )
          continue
        }
        const checked = mappingValue(kind, sources)
        if (Either.isLeft(checked)) into.problems.push(`${where}: mapping.${field} ${checked.left}`)
        else if (env[`mapping_${field}`] === undefined) {
          set(into, `mapping_${field}`, checked.right, { _tag: "configFile", path })
        }
      }
      continue
    }
    const setting = catalogue.find(key)
    if (setting === undefined || key === settings.config.name) {
      const fileKeys = [
        ...catalogue.all.map((s) => s.name).filter((name) => name !== settings.config.name),
        "mapping"
      ]
      into.problems.push(`${where}: ${unknownName("setting", key, fileKeys)}`)
      continue
    }
    const checked = fileValue(setting.type, value)
    if (Either.isLeft(checked)) into.problems.push(`${where}: ${key} ${checked.left}`)
    // The environment wins, always: a key it holds is read from it alone.
    else if (env[key] === undefined && env[`${key}_FILE`] === undefined) {
      set(into, key, checked.right, { _tag: "configFile", path })
    }
  }
}

const environment: Source = { _tag: "environment" }

/**
 * Where settings come from (CONTRACT §6): the environment; a secret's `NAME_FILE` form; the
 * optional JSON file named by `WRITEBACK_CONFIG`. A key the environment holds is read only
 * from the environment, so an invalid value there is an error, never replaced by the file's.
 * Problems found here (unknown names, empty values, unreadable or oversized files, values of
 * the wrong type) are all collected.
 */
const gather = (
  catalogue: Settings.Catalogue,
  env: Readonly<Record<string, string | undefined>>
): Gathered => {
  const gathered: Gathered = {
    values: new Map(),
    sources: new Map(),
    problems: [],
    named: new Set()
  }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue
    if (catalogue.environmentNames.has(name)) {
      if (value.trim() === "") {
        const fallback = catalogue.find(name)?.default
        gathered.problems.push(
          fallback === undefined
            ? `${name} is set but empty`
            : `${name} is set but empty; unset it to use the default (${fallback})`
        )
        gathered.named.add(name.replace(/_FILE$/, ""))
        continue
      }
    } else if (Settings.ownPrefixes.some((prefix) => name.startsWith(prefix))) {
      // Kubernetes names a Service's variables after it: `sap-gateway` gives SAP_GATEWAY_….
      if (isServiceLink(name, value, env)) continue
      gathered.problems.push(`${name}: ${unknownName("setting", name, catalogue.environmentNames)}`)
      continue
    }
    set(gathered, name, value, environment)
  }
  for (const name of catalogue.secrets) {
    const fileName = `${name}_FILE`
    const path = env[fileName]
    if (path === undefined) continue
    gathered.named.add(name)
    if (env[name] !== undefined) {
      gathered.problems.push(`${name} and ${fileName} are both set; set only one`)
      gathered.values.delete(name)
      gathered.sources.delete(name)
      continue
    }
    if (path.trim() === "") continue // reported above as empty
    const text = readBoundedFile(path)
    if (Either.isLeft(text)) {
      gathered.problems.push(`${fileName}: ${text.left}`)
      continue
    }
    // A key file ending in newlines (or a stray space) would make every request fail.
    const secret = text.right.trim()
    if (secret === "") gathered.problems.push(`${fileName}: ${path} is empty`)
    else {
      set(gathered, name, secret, { _tag: "secretFile", variable: fileName })
      gathered.named.delete(name)
    }
  }
  const file = env[settings.config.name]
  if (file !== undefined && file.trim() !== "") readConfigFile(catalogue, file, env, gathered)
  return gathered
}

const provider = (values: Map<string, string>) =>
  ConfigProvider.fromMap(values, { pathDelim: "_", seqDelim: "," })

const toError = (problems: ReadonlyArray<string>) => {
  const [first, ...rest] = problems
  return first === undefined ? undefined : new ConfigFileError({ problems: [first, ...rest] })
}

/** The ConfigProvider over `env` for `catalogue`, or every problem of its sources. */
export const fromEnvironment = (
  catalogue: Settings.Catalogue,
  env: Readonly<Record<string, string | undefined>>
): Effect.Effect<ConfigProvider.ConfigProvider, ConfigFileError> =>
  Effect.suspend(() => {
    const { values, problems } = gather(catalogue, env)
    const error = toError(problems)
    return error === undefined ? Effect.succeed(provider(values)) : Effect.fail(error)
  })

/** A configuration as read, with the flat map it was read from and each entry's source. */
export interface Sourced<A> {
  readonly value: A
  readonly values: ReadonlyMap<string, string>
  readonly sources: ReadonlyMap<string, Source>
}

/**
 * Reads `config` from `env`, keeping where each value came from (`writeback config`).
 * Fails with one error naming every problem: those of the sources (files, unknown names)
 * and those of the values (`SAP_CONCURRENCY: expected an integer`) together.
 */
export const readSourced = <A>(
  catalogue: Settings.Catalogue,
  config: Config.Config<A>,
  env: Readonly<Record<string, string | undefined>>
): Effect.Effect<Sourced<A>, ConfigFileError> =>
  Effect.suspend(() => {
    const { named, problems: sourceProblems, sources, values } = gather(catalogue, env)
    return Effect.withConfigProvider(Effect.either(config), provider(values)).pipe(
      Effect.flatMap((result) => {
        if (Either.isRight(result) && sourceProblems.length === 0) {
          return Effect.succeed({ value: result.right, values, sources })
        }
        const valueProblems = (Either.isLeft(result) ? problems(result.left) : []).filter(
          (problem) => ![...named].some((name) => problem.startsWith(`${name}:`))
        )
        const [first, ...rest] = [...new Set([...sourceProblems, ...valueProblems])]
        return Effect.fail(
          new ConfigFileError({ problems: [first ?? "invalid configuration", ...rest] })
        )
      })
    )
  })

/** Reads `config` from `env`; fails as `readSourced` does. */
export const read = <A>(
  catalogue: Settings.Catalogue,
  config: Config.Config<A>,
  env: Readonly<Record<string, string | undefined>>
): Effect.Effect<A, ConfigFileError> =>
  Effect.map(readSourced(catalogue, config, env), (sourced) => sourced.value)

/**
 * Every problem of a configuration error, one line each, named by setting. A missing
 * setting reads "not set" (a secret's own message is redacted and says nothing).
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
