/**
 * A usage error in words. @effect/cli decides whether a command line is valid; when it is
 * not, its message names neither the option nor what was meant (`'abc' is not a integer`,
 * `Received unknown argument: '--proces-all'`), so this reads the same arguments against
 * the declarations and says which option, what it takes, and the nearest known name.
 */
import { Suggest } from "@dfo-writeback/edge"
import type { CommandDoc, OptionDoc } from "./Declaration.js"
import { common, spanOf } from "./Help.js"

export interface Diagnosis {
  /** The command the arguments are for, when they name one. */
  readonly command: CommandDoc | undefined
  readonly problem: string
}

/** The literals @effect/cli's boolean takes after a flag (`--json true`). */
const booleans = new Set(["true", "false", "yes", "no", "y", "n", "on", "off", "1", "0"])

const quoted = (value: string) => JSON.stringify(value)

const listed = (values: ReadonlyArray<string>) =>
  values.length <= 1
    ? values.join("")
    : `${values.slice(0, -1).join(", ")} or ${values.at(-1) ?? ""}`

/** What is wrong with `value` for `option`, in words; `undefined` when nothing is. */
const valueProblem = (option: OptionDoc, value: string): string | undefined => {
  switch (option.kind) {
    case "integer":
      return /^-?\d+$/.test(value)
        ? undefined
        : `${option.name} takes a whole number, not ${quoted(value)}`
    case "number":
      return value.trim() !== "" && Number.isFinite(Number(value))
        ? undefined
        : `${option.name} takes a number, not ${quoted(value)}`
    case "choice": {
      if (option.choices.includes(value)) return undefined
      const near = Suggest.suggest(value, option.choices)
      return (
        `${option.name} takes ${listed(option.choices)}, not ${quoted(value)}` +
        (near === undefined ? "" : ` (did you mean ${near}?)`)
      )
    }
    case "flag":
      return booleans.has(value.toLowerCase())
        ? undefined
        : `${option.name} takes no value, not ${quoted(value)}`
    case "text":
      return undefined
  }
}

/** The command `args` name first, and the arguments after it. */
const commandOf = (args: ReadonlyArray<string>, commands: ReadonlyArray<CommandDoc>) => {
  const [first, ...rest] = args
  return { first, rest, command: commands.find((candidate) => candidate.name === first) }
}

/** The first problem with `args` (the arguments after the program's name), if any. */
export const diagnose = (
  args: ReadonlyArray<string>,
  commands: ReadonlyArray<CommandDoc>
): Diagnosis | undefined => {
  const { first, rest, command } = commandOf(args, commands)
  if (first === undefined) return { command: undefined, problem: "no command given" }
  if (command === undefined) {
    const names = commands.map((candidate) => candidate.name)
    return {
      command: undefined,
      problem: first.startsWith("-")
        ? `${Suggest.unknownName("option", first, ["--help", "--version", "--log-level"])}; give a command first: ${listed(names)}`
        : Suggest.unknownName("command", first, names)
    }
  }
  const problem = (text: string): Diagnosis => ({ command, problem: text })
  const options = [...command.options, ...common]
  const find = (name: string) =>
    options.find((option) => option.name === name || option.aliases.includes(name))
  const seen = new Set<string>()
  const positional: Array<string> = []
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? ""
    if (arg === "--") {
      positional.push(...rest.slice(i + 1))
      break
    }
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg)
      continue
    }
    const equals = arg.indexOf("=")
    const name = equals < 0 ? arg : arg.slice(0, equals)
    const option = find(name)
    if (option === undefined) {
      return problem(
        Suggest.unknownName(
          "option",
          name,
          options.map((known) => known.name)
        )
      )
    }
    if (seen.has(option.name)) return problem(`${option.name} is given twice`)
    seen.add(option.name)
    let value = equals < 0 ? undefined : arg.slice(equals + 1)
    if (option.kind === "flag") {
      const next = rest[i + 1]
      if (value === undefined && next !== undefined && booleans.has(next.toLowerCase())) i++
    } else if (value === undefined) {
      const next = rest[i + 1]
      if (next === undefined || find(next.split("=", 1)[0] ?? next) !== undefined) {
        return problem(`${option.name} needs a value (${option.placeholder})`)
      }
      value = next
      i++
    }
    const wrong = value === undefined ? undefined : valueProblem(option, value)
    if (wrong !== undefined) return problem(wrong)
  }
  const extra = positional[command.args.length]
  if (extra !== undefined) {
    return problem(
      command.args.length === 0
        ? `${command.name} takes no argument, not ${quoted(extra)}`
        : `unexpected argument ${quoted(extra)}`
    )
  }
  const missingArg = command.args.slice(positional.length).find((arg) => arg.required)
  if (missingArg !== undefined) {
    return problem(`${missingArg.name} is missing: ${missingArg.description}`)
  }
  const missing = command.options.find((option) => option.required && !seen.has(option.name))
  if (missing !== undefined) {
    return problem(`${missing.name} ${missing.placeholder} is missing: ${missing.description}`)
  }
  return undefined
}

/**
 * A command line @effect/cli accepts may still give half of one alternative
 * (`--key-value` without `--key-field`) or two (`--key-field … --process-all`): said here
 * with the options' names. Giving none is left to the command, which says what it needs.
 */
export const alternatives = (
  args: ReadonlyArray<string>,
  commands: ReadonlyArray<CommandDoc>
): Diagnosis | undefined => {
  const { rest, command } = commandOf(args, commands)
  if (command === undefined) return undefined
  const end = rest.indexOf("--")
  const given = new Set(
    (end < 0 ? rest : rest.slice(0, end))
      .filter((arg) => arg.startsWith("--"))
      .map((arg) => arg.split("=", 1)[0] ?? arg)
  )
  const spans = (names: ReadonlyArray<string>) =>
    names
      .map((name) => {
        const option = command.options.find((known) => known.name === name)
        return option === undefined ? name : spanOf(option)
      })
      .join(" ")
  const present = command.oneOf.filter((names) => names.some((name) => given.has(name)))
  if (present.length > 1) {
    return { command, problem: `give ${present.map(spans).join(" or ")}, not both` }
  }
  const missing = present.flatMap((names) => names.filter((name) => !given.has(name)))
  if (missing.length > 0) {
    const there = present.flatMap((names) => names.filter((name) => given.has(name)))
    return { command, problem: `${there.join(" and ")} needs ${spans(missing)}` }
  }
  return undefined
}
