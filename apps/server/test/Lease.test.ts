// One full run across processes (CONTRACT §8) through the built server: WRITEBACK_LEASE=file:…
// held by another process, and lost mid-run. WRITEBACK_LEASE=k8s:… is tested from pods in
// KubernetesLease.test.ts (the server reaches the API server only as a pod does).
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { WritebackService } from "@dfo-writeback/contract"
import { Lease } from "@dfo-writeback/lease"
import { LockHolder } from "@dfo-writeback/testkit"
import { assert, layer } from "@effect/vitest"
import { status } from "@grpc/grpc-js"
import { Deferred, Effect, Exit, Scope } from "effect"
import * as Fixture from "./utils/fixture.js"
import { client, start, writeback } from "./utils/grpc.js"

const path = join(mkdtempSync(join(tmpdir(), "server-lease-")), "writeback.lock")
const settings = { spec: { _tag: "File" as const, path }, durationSeconds: 30 }

const setup = Effect.gen(function* () {
  const fixture = yield* Fixture.Services
  fixture.emulator.reset()
  return { ...fixture, client: yield* client(WritebackService, fixture.server.address) }
})

layer(Fixture.layer({ WRITEBACK_LEASE: `file:${path}` }), {
  excludeTestServices: true,
  timeout: "60 seconds"
})("WRITEBACK_LEASE over gRPC", (it) => {
  it.scoped(
    "held by another process: a full run is ABORTED naming the holder; dry runs go ahead",
    () =>
      Effect.gen(function* () {
        const fixture = yield* setup
        const scope = yield* Scope.make()
        yield* Lease.make(settings, "nightly-cronjob-28f1c", Lease.inCluster({})).acquire.pipe(
          Scope.extend(scope)
        )
        const refused = yield* writeback(fixture.client, { processAll: true })
        assert.strictEqual(refused.error?.code, status.ABORTED)
        assert.strictEqual(
          refused.error?.details,
          `RUN_IN_PROGRESS: a full run is already in progress: the lease file:${path} is held by nightly-cronjob-28f1c`
        )
        assert.deepStrictEqual(refused.events, [])
        const dry = yield* writeback(fixture.client, { processAll: true, logOnly: true })
        assert.isUndefined(dry.error)

        yield* Scope.close(scope, Exit.void)
        const free = yield* writeback(fixture.client, { processAll: true })
        assert.isUndefined(free.error)
      })
  )

  it.scoped("lost mid-run: no further user is started, the summary says LEASE_LOST", () =>
    Effect.gen(function* () {
      const fixture = yield* setup
      const release = yield* Deferred.make<void>()
      const writing = yield* Deferred.make<void>()
      let writes = 0
      fixture.emulator.setHooks({
        onRequest: (request) => {
          if (request.method !== "PUT") return undefined
          writes += 1
          Deferred.unsafeDone(writing, Effect.void)
          return Effect.runPromise(Effect.as(Deferred.await(release), undefined))
        }
      })
      const run = start(fixture.client, { processAll: true })
      yield* Deferred.await(writing)
      yield* LockHolder.kill(path)
      // Real time for the server to see its flock(1) child end.
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 300)))
      yield* Deferred.succeed(release, undefined)
      const answer = yield* Effect.promise(() => run.answer)
      fixture.emulator.setHooks({ onRequest: undefined })
      // The writes held when the lease went were the last sent: no user was started after.
      assert.isAtMost(writes, 8, "SAP_CONCURRENCY writes at most were in flight")
      assert.isBelow(writes, Fixture.directorySize)
      const summary = answer.events.at(-1)?.event
      assert(summary?.case === "summary")
      assert.isTrue(summary.value.aborted)
      assert.strictEqual(
        summary.value.abortReason,
        `LEASE_LOST: the flock(1) child holding file:${path} ended`
      )
      assert.strictEqual(answer.error?.code, status.UNAVAILABLE)
      assert.match(answer.error?.details ?? "", /^RUN_ABORTED: .* LEASE_LOST: /)
    })
  )
})
