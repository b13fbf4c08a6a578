import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { ChildProcess, LockHolder } from "@dfo-writeback/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { Lease } from "../src/index.js"

const lockFile = () => join(mkdtempSync(join(tmpdir(), "lease-file-")), "writeback.lock")
const settings = (path: string) => ({ spec: { _tag: "File" as const, path }, durationSeconds: 30 })
const built = fileURLToPath(new URL("../dist/index.js", import.meta.url))

/** Another process on the host, holding the lease until it is killed. */
const holder = (path: string, identity: string) =>
  ChildProcess.start<true>(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `
      import { Effect } from "effect"
      const { Lease } = await import(${JSON.stringify(built)})
      const lease = Lease.make(${JSON.stringify(settings(path))}, ${JSON.stringify(identity)}, Lease.inCluster({}))
      await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
        yield* lease.acquire
        console.log("held")
        yield* Effect.never
      })))
      `
    ],
    {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      readyWhen: (line) => (line === "held" ? true : undefined)
    }
  )

describe("a lock-file lease (two real processes)", () => {
  it.live(
    "is held by one process at a time, and freed by the kernel when its holder is killed",
    () =>
      Effect.gen(function* () {
        const path = lockFile()
        const other = yield* holder(path, "nightly-timer on host-a (pid 4242)")
        const lease = Lease.make(settings(path), "operator on host-a", Lease.inCluster({}))

        const refused = yield* Effect.flip(Effect.scoped(lease.acquire))
        assert.strictEqual(refused._tag, "LeaseHeld")
        assert.strictEqual(
          refused.message,
          `RUN_IN_PROGRESS: a full run is already in progress: the lease file:${path} is held by nightly-timer on host-a (pid 4242)`
        )

        // SIGKILL: no finalizer runs in the holder; the lock still goes with it.
        yield* other.signal("SIGKILL")
        yield* other.exit
        const scope = yield* Scope.make()
        const held = yield* lease.acquire.pipe(Scope.extend(scope))
        const lost = yield* Effect.either(Effect.timeout(held.lost, "300 millis"))
        assert.strictEqual(lost._tag, "Left", "a held lock is not lost")
        yield* Scope.close(scope, Exit.void)

        // Released with its scope: the next process takes it at once.
        const next = yield* holder(path, "next")
        assert.isTrue(next.ready)
      }).pipe(Effect.scoped, Effect.provide(ChildProcess.layer))
  )

  it.live("is free the moment its release ends: the next acquire never finds it held", () =>
    Effect.gen(function* () {
      const path = lockFile()
      const lease = Lease.make(settings(path), "run", Lease.inCluster({}))
      // Back to back, as a run ending and the next starting: each must find the lock free.
      for (let round = 0; round < 10; round++) yield* Effect.scoped(lease.acquire)
    })
  )

  it.live("is lost when the lock's holder process ends under it", () =>
    Effect.gen(function* () {
      const path = lockFile()
      const held = yield* Lease.make(settings(path), "me", Lease.inCluster({})).acquire
      yield* LockHolder.kill(path)
      assert.match(
        yield* held.lost.pipe(Effect.timeout("5 seconds")),
        /^LEASE_LOST: the flock\(1\) child holding file:.* ended$/
      )
    }).pipe(Effect.scoped, Effect.provide(ChildProcess.layer))
  )
})
