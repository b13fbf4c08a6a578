import { Context, Data, Effect, Layer, type Scope } from "effect"
import type { Emulator, EmulatorOptions } from "./Emulator.js"
import { startEmulator } from "./EmulatorServer.js"

/** The emulator could not start (port taken, unreadable data file, bad options). */
export class EmulatorStartError extends Data.TaggedError("EmulatorStartError")<{
  readonly reason: string
}> {
  override get message() {
    return `the DFØ emulator could not start: ${this.reason}`
  }
}

/**
 * A running emulator as an Effect service, stopped when its scope closes. For
 * `@effect/vitest` suites: `it.layer(DfoEmulator.layer({ employees }))(...)`.
 */
export class DfoEmulator extends Context.Tag("@dfo-writeback/dfo-emulator/DfoEmulator")<
  DfoEmulator,
  Emulator
>() {
  static readonly scoped = (
    options?: EmulatorOptions
  ): Effect.Effect<Emulator, EmulatorStartError, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.tryPromise({
        try: () => startEmulator(options),
        catch: (error) =>
          new EmulatorStartError({
            reason: error instanceof Error ? error.message : String(error)
          })
      }),
      (emulator) => Effect.promise(() => emulator.stop())
    )

  static readonly layer = (
    options?: EmulatorOptions
  ): Layer.Layer<DfoEmulator, EmulatorStartError> =>
    Layer.scoped(DfoEmulator, DfoEmulator.scoped(options))
}
