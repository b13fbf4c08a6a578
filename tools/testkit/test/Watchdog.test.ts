import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { ChildProcess, Poll } from "../src/index.js"

const built = fileURLToPath(new URL("../dist/index.js", import.meta.url))

describe("Watchdog", () => {
  it.live("kills a guarded server when the process that started it is killed outright", () =>
    Effect.gen(function* () {
      // A test process that starts a long-running "server" in its own process group, guards
      // it, says its pid, then waits; SIGKILL leaves it no finalizer to run.
      const parent = yield* ChildProcess.start<number>(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `
          import { Effect } from "effect"
          const { ChildProcess, Watchdog } = await import(${JSON.stringify(built)})
          await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
            const server = yield* ChildProcess.start("sleep", ["300"])
            yield* Watchdog.guard("watchdog-test", server.pid)
            console.log("server " + server.pid)
            yield* Effect.never
          })).pipe(Effect.provide(ChildProcess.layer)))
          `
        ],
        {
          cwd: fileURLToPath(new URL("..", import.meta.url)),
          readyWhen: (line) => (line.startsWith("server ") ? Number(line.slice(7)) : undefined)
        }
      )
      const server = parent.ready
      assert.isTrue(ChildProcess.alive(server))
      // The process alone, as an OOM kill or a crashed test worker ends: not its group.
      process.kill(parent.pid, "SIGKILL")
      yield* Poll.until(
        Effect.sync(() => !ChildProcess.alive(server)),
        { what: "the guarded server to be killed", timeout: "10 seconds", interval: "50 millis" }
      )
    }).pipe(Effect.scoped, Effect.provide(ChildProcess.layer))
  )
})
