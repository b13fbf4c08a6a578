import { ChildProcess } from "@dfo-writeback/testkit"
import { Data, type Duration, Effect } from "effect"
import { fileURLToPath } from "node:url"
import type { ChildOutput, ScenarioInput } from "./protocol.js"

const scenarioFile = fileURLToPath(new URL("../scenario.js", import.meta.url))

/** A scenario's process failed, ran too long or printed no result line. */
export class ScenarioFailed extends Data.TaggedError("ScenarioFailed")<{
  readonly message: string
}> {}

/**
 * Runs one scenario in a fresh Node process and reads its one JSON line. stderr is passed
 * through so a failing scenario explains itself.
 */
export const runChild = (name: string, input: ScenarioInput, timeout: Duration.DurationInput) =>
  Effect.gen(function* () {
    // Node flags for the scenario process only, e.g. "--cpu-prof --cpu-prof-dir=prof"
    // (Node refuses --cpu-prof in NODE_OPTIONS).
    const flags = (process.env["BENCH_NODE_FLAGS"] ?? "").split(" ").filter((f) => f !== "")
    const out = yield* ChildProcess.run(
      process.execPath,
      [...flags, scenarioFile, name, JSON.stringify(input)],
      { stderr: "inherit", timeout }
    ).pipe(Effect.mapError((error) => new ScenarioFailed({ message: error.message })))
    if (out.code !== 0) {
      return yield* new ScenarioFailed({
        message: `${name} ended with ${out.signal ?? `exit code ${out.code}`}`
      })
    }
    const line = out.stdout.trim().split("\n").pop() ?? ""
    return yield* Effect.try({
      try: () => JSON.parse(line) as ChildOutput,
      catch: () =>
        new ScenarioFailed({ message: `${name} printed no result line: ${out.stdout.slice(-500)}` })
    })
  }).pipe(Effect.provide(ChildProcess.layer))
