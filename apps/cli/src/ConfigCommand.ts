/**
 * `writeback config` (CONTRACT §7): the effective configuration the CLI reads, each value
 * with where it came from, every secret as `<redacted>`.
 */
import { type AttributeMapping, mappingKinds } from "@dfo-writeback/domain"
import { ConfigSource, LogFormat } from "@dfo-writeback/edge"
import { type Config, Effect, Either } from "effect"
import { ExitCode } from "./ExitCode.js"
import * as InvalidConfiguration from "./InvalidConfiguration.js"
import { catalogue } from "./Catalogue.js"

export const redacted = "<redacted>"

/** One setting as shown: `source` is `environment`, a `*_FILE` variable, `WRITEBACK_CONFIG`, `default` or `unset`. */
export interface Row {
  readonly name: string
  readonly value: string
  readonly source: string
  /** The `WRITEBACK_CONFIG` file the value came from. */
  readonly file?: string
}

export interface ConfigDeps {
  readonly env: Readonly<Record<string, string | undefined>>
  /** Everything the CLI reads, so an invalid setting is refused as `run` refuses it. */
  readonly settings: Config.Config<{ readonly mapping: AttributeMapping }>
}

/** A URL's password (`http://user:pass@proxy`) is a secret too. */
const withoutPassword = (value: string): string =>
  value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, `$1:${redacted}@`)

const sourceOf = (source: ConfigSource.Source): Pick<Row, "source" | "file"> => {
  switch (source._tag) {
    case "environment":
      return { source: "environment" }
    case "secretFile":
      return { source: source.variable }
    case "configFile":
      return { source: "WRITEBACK_CONFIG", file: source.path }
  }
}

/** Every setting the CLI reads (the server's own left out), then the attribute mapping. */
export const rows = (sourced: ConfigSource.Sourced<{ readonly mapping: AttributeMapping }>) => {
  const settings = catalogue.read.map((setting): Row => {
    const value = sourced.values.get(setting.name)
    const source = sourced.sources.get(setting.name)
    if (value === undefined || source === undefined) {
      return setting.default === undefined
        ? { name: setting.name, value: "", source: "unset" }
        : { name: setting.name, value: setting.default, source: "default" }
    }
    return {
      name: setting.name,
      value: setting.secret ? redacted : withoutPassword(value),
      ...sourceOf(source)
    }
  })
  const mapping = (Object.keys(mappingKinds) as Array<keyof AttributeMapping>).map((field): Row => {
    const source = sourced.sources.get(`mapping_${field}`)
    const value = sourced.value.mapping[field]
    return {
      name: `mapping.${field}`,
      value: typeof value === "string" ? value : value.join(","),
      ...(source === undefined ? { source: "default" } : sourceOf(source))
    }
  })
  return [...settings, ...mapping]
}

const shown = (text: string) => LogFormat.escapeControl(text)

/** `NAME  VALUE  SOURCE`, aligned. */
export const table = (all: ReadonlyArray<Row>): string => {
  const cells = all.map((row) => [
    shown(row.name),
    row.value === "" ? "-" : shown(row.value),
    row.file === undefined ? row.source : `${row.source} ${shown(row.file)}`
  ])
  const header = ["NAME", "VALUE", "SOURCE"]
  const width = (i: number) => Math.max(...[header, ...cells].map((cell) => cell[i]?.length ?? 0))
  const [name, value] = [width(0), width(1)]
  return [header, ...cells]
    .map(([a = "", b = "", c = ""]) => `${a.padEnd(name)}  ${b.padEnd(value)}  ${c}`)
    .join("\n")
}

/** Prints the configuration; an invalid one is refused with exit 2, as `run` refuses it. */
export const showConfig = (flags: { readonly json: boolean }, deps: ConfigDeps) =>
  Effect.map(
    Effect.either(ConfigSource.readSourced(catalogue, deps.settings, deps.env)),
    (read) => {
      if (Either.isLeft(read)) {
        process.stderr.write(`${InvalidConfiguration.text(read.left)}\n`)
        return ExitCode.RunFailed
      }
      const all = rows(read.right)
      process.stdout.write(
        flags.json ? all.map((row) => `${JSON.stringify(row)}\n`).join("") : `${table(all)}\n`
      )
      return ExitCode.Ok
    }
  )
