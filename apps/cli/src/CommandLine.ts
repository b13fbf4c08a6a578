/**
 * The command line before a command runs: `--help` answered from the declarations, and a
 * usage error said in words (which option, what it takes, the nearest name) with the
 * command's usage, exit 64. Only a command line @effect/cli accepts reaches the command.
 */
import { LogFormat } from "@dfo-writeback/edge"
import { CliConfig, type Command, ValidationError } from "@effect/cli"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Layer } from "effect"
import type * as Argv from "./Argv.js"
import * as Declaration from "./Declaration.js"
import { ExitCode } from "./ExitCode.js"
import * as Help from "./Help.js"
import * as UsageError from "./UsageError.js"

const cliConfig = CliConfig.make({ showBuiltIns: false })

/** A usage error: what is wrong, in words, then how the command is used. */
const usageError = (
  program: Help.Program,
  problem: string,
  command: Declaration.CommandDoc | undefined
) =>
  Effect.sync(() => {
    const where = command === undefined ? program.name : `${program.name} ${command.name}`
    const how =
      command === undefined
        ? Help.usageAll(program)
        : `${Help.usageOf(program, command)}\n\`${where} --help\` lists every option.`
    process.stderr.write(`${where}: ${LogFormat.escapeControl(problem)}\n${how}\n`)
    process.exitCode = ExitCode.Usage
  })

/** What @effect/cli finds wrong with the arguments, without printing it. */
const parseProblem = <Name extends string, R, E, A>(
  root: Command.Command<Name, R, E, A>,
  name: string,
  args: ReadonlyArray<string>
) =>
  Descriptor.parse(root.descriptor, [name, ...args], cliConfig).pipe(
    Effect.map((directive) =>
      directive._tag === "UserDefined" && directive.leftover.length > 0
        ? `unexpected argument ${JSON.stringify(directive.leftover[0])}`
        : undefined
    ),
    Effect.catchIf(ValidationError.isValidationError, (error) =>
      Effect.succeed(Declaration.text(error.error))
    )
  )

const help = (program: Help.Program, args: ReadonlyArray<string>) => {
  const [name] = args
  const command = program.commands.find((candidate) => candidate.name === name)
  if (name !== undefined && command === undefined) {
    const diagnosis = UsageError.diagnose(args, program.commands)
    return usageError(program, diagnosis?.problem ?? `unknown command ${name}`, undefined)
  }
  return Effect.sync(() => {
    process.stdout.write(
      command === undefined ? Help.programHelp(program) : Help.commandHelp(program, command)
    )
  })
}

/** Answers help and usage errors; runs `cli` on an accepted command line. */
export const start = <Name extends string, R, E, A, E2>(options: {
  readonly program: Help.Program
  readonly root: Command.Command<Name, R, E, A>
  readonly preflight: Argv.Preflight
  readonly cli: (
    argv: ReadonlyArray<string>
  ) => Effect.Effect<void, E2, R | NodeContext.NodeContext>
}): Effect.Effect<void, E2, Exclude<R, NodeContext.NodeContext | CliConfig.CliConfig>> => {
  const { program, preflight } = options
  const args = preflight.argv.slice(2)
  const named = program.commands.find((command) => command.name === args[0])
  if (preflight.problems.length > 0) {
    return usageError(program, preflight.problems.join("; "), named)
  }
  if (preflight.help) return help(program, args)
  if (args.length === 0) {
    return Effect.sync(() => {
      process.stderr.write(`${Help.usageAll(program)}\n`)
      process.exitCode = ExitCode.Usage
    })
  }
  return Effect.flatMap(parseProblem(options.root, program.name, args), (problem) => {
    const diagnosis =
      problem === undefined
        ? UsageError.alternatives(args, program.commands)
        : UsageError.diagnose(args, program.commands)
    if (problem === undefined && diagnosis === undefined) return options.cli(preflight.argv)
    return usageError(program, diagnosis?.problem ?? problem ?? "", diagnosis?.command ?? named)
  }).pipe(
    // @effect/cli printed its own message: a case the reading above did not foresee.
    Effect.catchIf(ValidationError.isValidationError, () =>
      Effect.sync(() => void (process.exitCode = ExitCode.Usage))
    ),
    Effect.provide(Layer.merge(NodeContext.layer, CliConfig.layer(cliConfig)))
  )
}
