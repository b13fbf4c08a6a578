/**
 * How settings are declared and catalogued (CONTRACT §6). Each library declares its own
 * settings once, in one table of `setting`s, and builds its `Config` from it; each app
 * assembles the `catalogue` of the libraries it runs: what its `--help` lists, what the
 * README's table is checked against, and what `WRITEBACK_CONFIG` may hold. A name not in
 * it is unknown: in the JSON file it is an error, never silently ignored.
 */

/** How a value is written, so a `WRITEBACK_CONFIG` value of the wrong JSON type is refused. */
export type SettingType = "text" | "integer" | "number" | "boolean" | "list" | "path"

/** The value a setting of that type has once read. */
export type ValueOf<T extends SettingType> = T extends "integer" | "number"
  ? number
  : T extends "boolean"
    ? boolean
    : T extends "list"
      ? ReadonlyArray<string>
      : string

/** One setting as a library declares it: its default typed, for its `Config`. */
export interface Declared<T extends SettingType = SettingType, D = ValueOf<T> | undefined> {
  readonly name: string
  readonly type: T
  /** `undefined` when the setting has no default. */
  readonly default: D
  readonly meaning: string
  /** Never logged or echoed; also readable from `<name>_FILE`. */
  readonly secret: boolean
}

/** A library's settings, each declared once, in the order the help and the README show them. */
export type Declaration = Readonly<Record<string, Declared>>

/** One setting of a `Declaration`. */
export const setting = <T extends SettingType, const D extends ValueOf<T> | undefined>(
  name: string,
  type: T,
  defaultValue: D,
  meaning: string,
  secret = false
): Declared<T, D> => ({ name, type, default: defaultValue, meaning, secret })

/** One setting as people read it: its default as text. */
export interface Setting {
  readonly name: string
  /** As shown to people; `undefined` when the setting has no default. */
  readonly default: string | undefined
  readonly meaning: string
  readonly secret: boolean
  readonly type: SettingType
}

/** How a `WRITEBACK_CONFIG` `mapping` entry is written: one attribute, several, or a value. */
export type MappingKind = "attribute" | "attributes" | "value"

/** The settings of one process and the libraries it runs. */
export interface Catalogue {
  /** Every setting, the process's own and those it knows of, in order. */
  readonly all: ReadonlyArray<Setting>
  /** The settings this process reads (`writeback config` shows only these). */
  readonly read: ReadonlyArray<Setting>
  /** The keys of `WRITEBACK_CONFIG`'s `mapping` section. */
  readonly mapping: Readonly<Record<string, MappingKind>>
  /** Settings whose value may instead be read from `<name>_FILE`. */
  readonly secrets: ReadonlyArray<string>
  /** Every name the environment may hold, `_FILE` forms included. */
  readonly environmentNames: ReadonlySet<string>
  /** The setting of that exact name. */
  readonly find: (name: string) => Setting | undefined
}

const shown = (declared: Declared): Setting => ({
  name: declared.name,
  type: declared.type,
  default:
    declared.default === undefined
      ? undefined
      : Array.isArray(declared.default)
        ? declared.default.join(",")
        : String(declared.default),
  meaning: declared.meaning,
  secret: declared.secret
})

const settingsOf = (declarations: ReadonlyArray<Declaration>) =>
  declarations.flatMap((declaration) => Object.values(declaration).map(shown))

/**
 * The catalogue of a process: every declaration, in the order the help and the README show
 * them; those read only by the other process (`elsewhere`: a shared environment or
 * `WRITEBACK_CONFIG` may hold them); and the mapping keys.
 */
export const catalogue = (parts: {
  readonly declarations: ReadonlyArray<Declaration>
  readonly elsewhere?: ReadonlyArray<Declaration>
  readonly mapping: Readonly<Record<string, MappingKind>>
}): Catalogue => {
  const all = settingsOf(parts.declarations)
  const notRead = new Set(settingsOf(parts.elsewhere ?? []).map((s) => s.name))
  const byName = new Map(all.map((s) => [s.name, s]))
  const secrets = all.filter((s) => s.secret).map((s) => s.name)
  return {
    all,
    read: all.filter((s) => !notRead.has(s.name)),
    mapping: parts.mapping,
    secrets,
    environmentNames: new Set([...byName.keys(), ...secrets.map((name) => `${name}_FILE`)]),
    find: (name) => byName.get(name)
  }
}

/**
 * Environment variables under these prefixes are ours: an unknown one is a typo, and a
 * typo of a safety setting (`SAP_READONLY=true`) must not be silently ignored. `GRPC_` is
 * not among them: grpc-js reads `GRPC_TRACE`, `GRPC_VERBOSITY` and others of its own.
 */
export const ownPrefixes: ReadonlyArray<string> = ["PORTAL_LDAP_", "SAP_", "WRITEBACK_", "EVENTS_"]

/** Largest integer a Node.js timer accepts (2^31 − 1 ms, about 24.8 days). */
export const maxTimerMs = 2_147_483_647

/** One setting as help text shows it: meaning, default, and its `_FILE` form for a secret. */
export const describe = (setting: Setting): string =>
  [
    setting.meaning,
    setting.default === undefined ? "" : ` (default ${setting.default})`,
    setting.secret ? `; secret, also as ${setting.name}_FILE` : ""
  ].join("")

/**
 * The settings of `catalogue` that `keep` keeps (every one by default) as plain text, one a
 * line, for a `--help`.
 */
export const helpText = (
  catalogue: Catalogue,
  keep: (setting: Setting) => boolean = () => true
): string => {
  const kept = catalogue.all.filter(keep)
  const width = Math.max(...kept.map((s) => s.name.length))
  return kept.map((s) => `  ${s.name.padEnd(width)}  ${describe(s)}`).join("\n")
}
