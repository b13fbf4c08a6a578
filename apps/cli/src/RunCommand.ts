import {
  type RawWritebackRequest,
  type RunError,
  validateRequest,
  type WritebackEvent
} from "@dfo-writeback/domain"
import { ConfigSource, Writeback } from "@dfo-writeback/writeback"
import { ConfigError, type ConfigProvider, Effect, Either, type Layer, Stream } from "effect"
import { ExitCode, exitCodeOf } from "./ExitCode.js"
import * as Output from "./Output.js"

export interface RunFlags extends RawWritebackRequest {
  readonly json: boolean
}

export interface RunDeps {
  readonly configProvider: Effect.Effect<
    ConfigProvider.ConfigProvider,
    ConfigSource.ConfigFileError
  >
  /** The program's services; `write` is where log lines go. */
  readonly services: (
    write: (line: string) => void
  ) => Layer.Layer<Writeback.Writeback, ConfigError.ConfigError | RunError>
  readonly encode: (event: WritebackEvent) => string
}

const usage =
  "usage: writeback run (--key-field username|uh-username|idautoID --key-value V | --process-all) " +
  "[--log-only] [--max-updates N] [--json] [--metrics-file PATH]"

/** `writeback run`: validates, runs, renders, and answers with CONTRACT §7's exit code. */
export const runWriteback = (flags: RunFlags, deps: RunDeps): Effect.Effect<ExitCode> =>
  Effect.gen(function* () {
    const streams = { out: process.stdout, err: process.stderr }
    const output = flags.json
      ? Output.json(streams, deps.encode)
      : Output.human(streams, () => flags.processAll)

    const request = validateRequest(flags)
    if (Either.isLeft(request)) {
      output.error(`writeback run: ${request.left.problems.join("; ")}\n${usage}`)
      return ExitCode.Usage
    }

    let failed = false
    let aborted = false
    const program = Effect.gen(function* () {
      const writeback = yield* Writeback.Writeback
      yield* Stream.runForEach(writeback.run(request.right), (event) =>
        Effect.sync(() => {
          output.event(event)
          if (event._tag === "UserResult" && event.outcome === "FAILED") failed = true
          if (event._tag === "RunSummary") aborted = event.aborted
        })
      )
      return failed || aborted ? ExitCode.UserFailed : ExitCode.Ok
    })

    const provider = yield* Effect.either(deps.configProvider)
    if (Either.isLeft(provider)) {
      output.error(`writeback: configuration: ${provider.left.message}`)
      return ExitCode.RunFailed
    }
    return yield* program.pipe(
      Effect.provide(deps.services(output.log)),
      Effect.withConfigProvider(provider.right),
      Effect.catchAll((error) =>
        Effect.sync(() => {
          if (ConfigError.isConfigError(error)) {
            output.error(
              `writeback: invalid configuration:\n${ConfigSource.problems(error)
                .map((problem) => `  ${problem}`)
                .join("\n")}`
            )
            return ExitCode.RunFailed
          }
          output.error(`writeback: ${error.message}`)
          return exitCodeOf(error)
        })
      ),
      Effect.ensuring(Effect.sync(output.done))
    )
  })
