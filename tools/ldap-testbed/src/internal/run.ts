import { ChildProcess } from "@dfo-writeback/testkit"
import type { CommandExecutor } from "@effect/platform"
import { Effect } from "effect"
import { LdapTestbedError } from "./error.js"

/** Runs a command to its end; fails with its last lines of output when it does not succeed. */
export const runOrFail = (
  command: string,
  args: ReadonlyArray<string>
): Effect.Effect<ChildProcess.Output, LdapTestbedError, CommandExecutor.CommandExecutor> =>
  ChildProcess.runOk(command, args).pipe(
    Effect.mapError((error) => new LdapTestbedError({ message: error.message }))
  )
