/**
 * Installing a testbed's Debian packages: the DESIGN's rule is to install what a test needs
 * when we can (root, apt-get present), else to fail with one line saying how.
 */
import type { CommandExecutor } from "@effect/platform"
import { Effect, Schema } from "effect"
import * as ChildProcess from "./ChildProcess.js"
import { locate } from "./Executables.js"

/** The packages could not be installed; `message` starts with the caller's hint. */
export class AptError extends Schema.TaggedError<AptError>()("AptError", {
  message: Schema.String
}) {}

const aptGet = (args: ReadonlyArray<string>) =>
  ChildProcess.run("apt-get", ["-o", "DPkg::Lock::Timeout=300", ...args], {
    env: { DEBIAN_FRONTEND: "noninteractive" },
    timeout: "15 minutes"
  })

const lastLine = (text: string) => text.trim().split("\n").slice(-1)[0] ?? ""

/**
 * `apt-get install -y --no-install-recommends packages`, with `apt-get update` and a second
 * try when the first fails (a fresh machine's package lists may be missing or stale).
 * `hint` says how to install by hand, e.g. "slapd is not installed: run `sudo apt-get …`".
 */
export const install = (
  packages: ReadonlyArray<string>,
  hint: string
): Effect.Effect<void, AptError, CommandExecutor.CommandExecutor> =>
  Effect.gen(function* () {
    if (process.getuid?.() !== 0 || locate("apt-get") === undefined) {
      return yield* new AptError({ message: hint })
    }
    const attempt = aptGet(["install", "-y", "--no-install-recommends", ...packages])
    let outcome = yield* attempt
    if (outcome.code !== 0) {
      yield* aptGet(["update"])
      outcome = yield* attempt
    }
    if (outcome.code !== 0) {
      return yield* new AptError({
        message: `${hint} (automatic install failed: ${lastLine(outcome.stderr)})`
      })
    }
  }).pipe(
    Effect.catchTag("ChildProcessError", (error) =>
      Effect.fail(new AptError({ message: `${hint} (automatic install failed: ${error.detail})` }))
    )
  )

/**
 * What `find` finds (a testbed's programs), after installing `packages` first when it finds
 * nothing and `allowInstall` is set; otherwise an `AptError` whose message is `hint`.
 */
export const ensure = <A>(
  find: () => A | undefined,
  packages: ReadonlyArray<string>,
  hint: string,
  allowInstall: boolean
): Effect.Effect<A, AptError, CommandExecutor.CommandExecutor> =>
  Effect.gen(function* () {
    const found = find()
    if (found !== undefined) return found
    if (!allowInstall) return yield* new AptError({ message: hint })
    yield* install(packages, hint)
    const after = find()
    if (after === undefined)
      return yield* new AptError({ message: `${hint} (installed, not found)` })
    return after
  })
