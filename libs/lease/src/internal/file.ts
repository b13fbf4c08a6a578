/**
 * A lease on one host: an exclusive `flock(2)` on a file, held by a `flock(1)` child for as
 * long as its stdin (a pipe from us) stays open. The kernel releases the lock when the
 * child ends, and the child ends when we do, however we end (SIGKILL included): a lock is
 * never left behind by a crash, so it needs no renewal and no expiry. The holder's name is
 * written into the file once the lock is ours, for the next one to read.
 */
import { spawn } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { Deferred, Effect } from "effect"
import { LeaseHeld, LeaseUnavailable } from "../LeaseError.js"
import type { Acquire } from "./held.js"

/** flock's exit code when `--nonblock` finds the lock taken (`-E`). */
const heldExit = 75

/** How long a released child may take to end before it is killed (the lock goes with it). */
const releaseWithinMs = 5000

export const acquire = (path: string, lease: string, identity: string): Acquire =>
  Effect.gen(function* () {
    const lost = yield* Deferred.make<string>()
    const child = yield* Effect.acquireRelease(
      Effect.async<ReturnType<typeof spawn>, LeaseHeld | LeaseUnavailable>((resume) => {
        // `flock` opens (creating) the file, takes the lock, then runs `cat`, which echoes
        // "locked" and waits on stdin: the line tells us the lock is ours.
        const proc = spawn(
          "flock",
          [
            "--exclusive",
            "--nonblock",
            "-E",
            String(heldExit),
            path,
            "sh",
            "-c",
            "echo locked; exec cat >/dev/null"
          ],
          { stdio: ["pipe", "pipe", "pipe"] }
        )
        let stderr = ""
        proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
        proc.stdout.once("data", () => resume(Effect.succeed(proc)))
        proc.once("error", (error) =>
          resume(
            Effect.fail(
              new LeaseUnavailable({
                lease,
                reason: `flock(1) could not be run (${error.message}); it is in util-linux`
              })
            )
          )
        )
        proc.once("exit", (code) => {
          if (code === heldExit) {
            const holder = (() => {
              try {
                return readFileSync(path, "utf8").trim() || "another process"
              } catch {
                return "another process"
              }
            })()
            resume(Effect.fail(new LeaseHeld({ lease, holder })))
          } else {
            resume(
              Effect.fail(
                new LeaseUnavailable({
                  lease,
                  reason: `flock ended (exit ${code}): ${stderr.trim() || "no message"}`
                })
              )
            )
          }
        })
      }),
      // Released once the child has ended, when the kernel has let go of the lock: a run
      // that starts right after this one ends must find it free. `cat` ends with its stdin.
      (proc) =>
        Effect.async<void>((resume) => {
          proc.removeAllListeners("exit")
          if (proc.exitCode !== null || proc.signalCode !== null) return resume(Effect.void)
          const stuck = setTimeout(() => proc.kill("SIGKILL"), releaseWithinMs)
          proc.once("exit", () => {
            clearTimeout(stuck)
            resume(Effect.void)
          })
          proc.stdin?.end()
        })
    )
    // Ours now: say who holds it. A failure here loses nothing but the name.
    yield* Effect.try(() => writeFileSync(path, `${identity}\n`)).pipe(Effect.ignore)
    child.once("exit", () =>
      Effect.runFork(
        Deferred.succeed(lost, `LEASE_LOST: the flock(1) child holding ${lease} ended`)
      )
    )
    return { lost: Deferred.await(lost) }
  })
