/**
 * The `flock(1)` child that holds a `file:` lease's lock for its process (libs/lease): a
 * test ends it to take the lease away from a run, as a crash of that child would.
 */
import { Effect } from "effect"
import * as ChildProcess from "./ChildProcess.js"

/** SIGKILLs the `flock(1)` process holding `path`; dies when none does. */
export const kill = (path: string): Effect.Effect<void> =>
  ChildProcess.run("pgrep", ["-f", `flock --exclusive --nonblock -E 75 ${path}`]).pipe(
    Effect.map((found) => Number(found.stdout.trim().split("\n")[0])),
    Effect.filterOrDieMessage((pid) => pid > 0, `no flock(1) process holds ${path}`),
    Effect.flatMap((pid) => Effect.sync(() => process.kill(pid, "SIGKILL"))),
    Effect.provide(ChildProcess.layer),
    Effect.orDie
  )
