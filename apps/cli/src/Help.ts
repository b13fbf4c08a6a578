/**
 * The help an operator reads, rendered from the commands' declarations (`Declaration`):
 * one screen for `writeback --help` and for each command's, one line an option, and the
 * usage lines a usage error repeats. The server's settings are the server's help's.
 */
import { Settings } from "@dfo-writeback/edge"
import * as Argv from "./Argv.js"
import { catalogue } from "./Catalogue.js"
import type { CommandDoc, OptionDoc } from "./Declaration.js"

export interface Program {
  readonly name: string
  readonly version: string
  /** The first line of `writeback --help`. */
  readonly summary: string
  /** Paragraphs after the list of commands. */
  readonly notes: ReadonlyArray<string>
  readonly commands: ReadonlyArray<CommandDoc>
}

/** Read by every command, before @effect/cli sees the arguments (`Argv.preflight`). */
export const common: ReadonlyArray<OptionDoc> = [
  {
    name: "--log-level",
    aliases: [],
    kind: "choice",
    placeholder: "LEVEL",
    choices: Argv.logLevels,
    description: `${Argv.logLevels.join(", ")}; wins over LOG_LEVEL`,
    required: false
  },
  {
    name: "--help",
    aliases: ["-h"],
    kind: "flag",
    placeholder: "",
    choices: [],
    description: "this help",
    required: false
  }
]

const width = 80

/** `text` in lines of at most `width` characters, the first after `first`, the rest after `indent`. */
const wrap = (text: string, first: string, indent: string): ReadonlyArray<string> => {
  const lines: Array<string> = []
  let line = first
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    const fresh = line === first || line === indent
    if (!fresh && line.length + 1 + word.length > width) {
      lines.push(line)
      line = indent + word
    } else line = fresh ? line + word : `${line} ${word}`
  }
  return [...lines, line]
}

/** A choice shows its values where they fit; else a name, with the values in the description. */
const shortChoices = 20
const placeholderOf = (option: OptionDoc): string =>
  option.kind === "choice" && option.placeholder.length > shortChoices
    ? (option.name.split("-").at(-1) ?? "value").toUpperCase()
    : option.placeholder

const descriptionOf = (option: OptionDoc): string =>
  option.kind === "choice" && placeholderOf(option) !== option.placeholder
    ? `${option.description}; one of ${option.choices.join(", ")}`
    : option.description

/** `--max-updates N`, `--format csv|markdown|json`, `--key-field FIELD`, `--json`. */
export const spanOf = (option: OptionDoc): string => {
  const placeholder = placeholderOf(option)
  return placeholder === "" ? option.name : `${option.name} ${placeholder}`
}

/** Two columns: the name, and its description wrapped beside it. */
const table = (rows: ReadonlyArray<readonly [string, string]>, column = 26): Array<string> => {
  const left = Math.min(column, Math.max(...rows.map(([name]) => name.length)))
  const indent = " ".repeat(left + 4)
  return rows.flatMap(([name, text]) =>
    name.length > left
      ? [`  ${name}`, ...wrap(text, indent, indent)]
      : wrap(text, `  ${name.padEnd(left)}  `, indent)
  )
}

/** The command's parts as the usage line shows them: groups first, then the rest. */
const usageParts = (command: CommandDoc): ReadonlyArray<string> => {
  const byName = new Map(command.options.map((option) => [option.name, option]))
  const grouped = new Set(command.oneOf.flat())
  const alternatives = command.oneOf
    .map((names) =>
      names.flatMap((name) => {
        const option = byName.get(name)
        return option === undefined ? [] : [spanOf(option)]
      })
    )
    .filter((alternative) => alternative.length > 0)
    .map((alternative) => alternative.join(" "))
  const group =
    alternatives.length === 0
      ? []
      : alternatives.length === 1
        ? alternatives
        : [`(${alternatives.join(" | ")})`]
  const args = command.args.map((arg) => (arg.required ? arg.name : `[${arg.name}]`))
  const rest = command.options
    .filter((option) => !grouped.has(option.name))
    .map((option) => (option.required ? spanOf(option) : `[${spanOf(option)}]`))
  return [...args, ...group, ...rest]
}

/** `usage: writeback run …`, wrapped under the command. */
export const usageOf = (program: Program, command: CommandDoc, prefix = "usage: "): string => {
  const head = `${prefix}${program.name} ${command.name} `
  const indent = " ".repeat(head.length)
  const lines: Array<string> = []
  let line = head
  for (const part of usageParts(command)) {
    if (line !== head && line.length + 1 + part.length > width) {
      lines.push(line.trimEnd())
      line = indent
    }
    line = line === head || line === indent ? line + part : `${line} ${part}`
  }
  return [...lines, line.trimEnd()].join("\n")
}

/** Every command's usage: what `writeback` alone prints. */
export const usageAll = (program: Program): string =>
  [
    ...program.commands.map((command, i) =>
      usageOf(program, command, i === 0 ? "usage: " : "       ")
    ),
    `       ${program.name} --help | --version`
  ].join("\n")

/** `writeback --help`: the commands, one line each, and what every command reads. */
export const programHelp = (program: Program): string => {
  const left = Math.max(...program.commands.map((command) => command.name.length))
  return [
    ...wrap(program.summary, "", ""),
    "",
    `usage: ${program.name} COMMAND [OPTIONS]`,
    "",
    "Commands:",
    ...table(
      program.commands.map((command) => [command.name, command.summary]),
      left
    ),
    "",
    "Options of every command:",
    ...table([
      ...common.map((option) => [spanOf(option), descriptionOf(option)] as const),
      ["--version", "the version"]
    ]),
    ...program.notes.flatMap((note) => ["", ...wrap(note, "", "")]),
    ""
  ].join("\n")
}

/** `writeback COMMAND --help`: its usage, its options (and the common ones), its notes. */
export const commandHelp = (program: Program, command: CommandDoc): string =>
  [
    usageOf(program, command),
    "",
    ...wrap(command.summary, "", ""),
    "",
    ...(command.args.length === 0
      ? []
      : ["Arguments:", ...table(command.args.map((arg) => [arg.name, arg.description])), ""]),
    "Options:",
    ...table(
      [...command.options, ...common].map((option) => [spanOf(option), descriptionOf(option)])
    ),
    ...command.notes.flatMap((note) => ["", ...wrap(note, "", "")]),
    ...(command.appendix === "" ? [] : ["", command.appendix]),
    ""
  ].join("\n")

/** The settings the CLI reads (the server's own are in `writeback-server --help`). */
export const cliSettings = (): string =>
  [
    "Settings (the environment, a secret also as NAME_FILE, or WRITEBACK_CONFIG):",
    ...table(
      catalogue.read.map((setting) => [setting.name, Settings.describe(setting)]),
      36
    )
  ].join("\n")
