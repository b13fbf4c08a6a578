// One full run across processes (CONTRACT §8): WRITEBACK_LEASE=file:… with two real CLI
// processes on one host, the first held mid-run by the emulator.
import { mkdtempSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { generateEmployees, LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { LockHolder } from "@dfo-writeback/testkit"
import { assert, describe, layer } from "@effect/vitest"
import { Deferred, Effect, Layer } from "effect"
import { backendEnvironment, runCli, startCli } from "./CliProcess.js"

const people = generateEmployees({ count: 20, seed: 22 })

const backends = Layer.mergeAll(
  LdapTestbed.layer({ users: people.length, seed: 22 }),
  // DFØ lacks every identifier: a full run writes.
  DfoEmulator.layer({
    employees: people.flatMap((p) =>
      p.payrollId === undefined
        ? []
        : [makeEmployee({ id: p.payrollId, eksternIdent: null, epost: "", brukerident: null })]
    )
  })
)

const lockFile = () => join(mkdtempSync(join(tmpdir(), "cli-lease-")), "writeback.lock")

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")

/**
 * A full run with its writes held at DFØ until `release` completes; resolves once its
 * first write has arrived (so it holds the lease), with the run's end.
 */
const heldRun = (env: Record<string, string>, release: Deferred.Deferred<void>) =>
  Effect.gen(function* () {
    const emulator = yield* DfoEmulator
    const writing = yield* Deferred.make<void>()
    emulator.setHooks({
      onRequest: (request) => {
        if (request.method !== "PUT") return undefined
        Deferred.unsafeDone(writing, Effect.void)
        return Effect.runPromise(Effect.as(Deferred.await(release), undefined))
      }
    })
    const run = startCli(["run", "--process-all"], env)
    yield* Deferred.await(writing)
    return run
  })

describe("WRITEBACK_LEASE=file: (the CLI as two processes)", () => {
  layer(backends, { timeout: "120 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect(
        "a second full run exits 2 naming the holder; a dry run needs no lease and runs",
        () =>
          Effect.gen(function* () {
            const path = lockFile()
            const { emulator, env } = yield* backendEnvironment({ WRITEBACK_LEASE: `file:${path}` })
            const release = yield* Deferred.make<void>()
            const first = yield* heldRun(env, release)

            const second = yield* Effect.promise(() => runCli(["run", "--process-all"], env))
            assert.strictEqual(second.code, 2, second.stderr)
            assert.match(
              second.stderr,
              new RegExp(
                `writeback: RUN_IN_PROGRESS: a full run is already in progress: the lease ` +
                  `${escaped(`file:${path}`)} is held by ${escaped(hostname())}/\\d+\\n$`
              )
            )
            const dry = yield* Effect.promise(() =>
              runCli(["run", "--process-all", "--log-only", "--json"], env)
            )
            assert.strictEqual(dry.code, 0, dry.stderr)

            yield* Deferred.succeed(release, undefined)
            const ended = yield* Effect.promise(() => first.finished)
            emulator.setHooks({ onRequest: undefined })
            assert.strictEqual(ended.code, 0, ended.stderr)
            // Released with the run: the next full run takes it and finds nothing to write.
            const next = yield* Effect.promise(() => runCli(["run", "--process-all"], env))
            assert.strictEqual(next.code, 0, next.stderr)
          })
      )

      it.effect("a lease lost mid-run stops it starting users: aborted LEASE_LOST, exit 4", () =>
        Effect.gen(function* () {
          const path = lockFile()
          const { emulator, env } = yield* backendEnvironment({ WRITEBACK_LEASE: `file:${path}` })
          const release = yield* Deferred.make<void>()
          const run = yield* heldRun({ ...env, SAP_CONCURRENCY: "1" }, release)
          // The flock(1) child holding the lock ends: the kernel frees the lock.
          yield* LockHolder.kill(path)
          // Real time (it.effect's clock is a test clock) for the CLI to see its child end.
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 300)))
          yield* Deferred.succeed(release, undefined)
          const ended = yield* Effect.promise(() => run.finished)
          emulator.setHooks({ onRequest: undefined })
          assert.strictEqual(ended.code, 4, ended.stderr)
          assert.include(
            ended.stderr,
            `writeback: run aborted: LEASE_LOST: the flock(1) child holding file:${path} ended`
          )
          // One user was in flight; no other was started.
          const writes = emulator.log().filter((entry) => entry.method === "PUT")
          assert.strictEqual(writes.length, 1)
        })
      )
    }
  )
})
