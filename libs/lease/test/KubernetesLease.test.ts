import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { FakeKubernetes } from "@dfo-writeback/testkit"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Exit, Fiber, Option, Scope } from "effect"
import { acquire, type Options } from "../src/internal/kubernetes.js"
import { Lease, LeaseConfig } from "../src/index.js"

const tokenFile = (token: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "lease-token-")), "token")
  writeFileSync(file, `${token}\n`)
  return file
}

const optionsFor = (
  fake: FakeKubernetes.FakeKubernetes,
  identity: string,
  durationSeconds = 3
): Options => ({
  lease: "k8s:iam/dfo-writeback",
  baseUrl: fake.url,
  tokenFile: tokenFile(fake.token),
  caFile: undefined,
  namespace: "iam",
  name: "dfo-writeback",
  durationSeconds,
  identity
})

/** Takes the lease in a scope of its own, so a test can let it go. */
const take = (options: Options) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const held = yield* acquire(options).pipe(Scope.extend(scope))
    return { held, release: Scope.close(scope, Exit.void) }
  })

describe("a Kubernetes Lease (against a fake API server)", () => {
  it.live("one holder at a time; the other is told who holds it; a release frees it", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const fake = yield* FakeKubernetes.start("sa-token-for-tests-0123456789")
        const first = yield* take(optionsFor(fake, "writeback-7d9f-abcde"))
        const stored = fake.get("iam", "dfo-writeback")
        assert.strictEqual(stored?.spec.holderIdentity, "writeback-7d9f-abcde")
        assert.strictEqual(stored?.spec.leaseDurationSeconds, 3)
        assert.match(stored?.spec.renewTime ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)

        const refused = yield* Effect.flip(acquire(optionsFor(fake, "nightly-cronjob-xyz")))
        assert.strictEqual(refused._tag, "LeaseHeld")
        assert.strictEqual(
          refused.message,
          "RUN_IN_PROGRESS: a full run is already in progress: the lease k8s:iam/dfo-writeback is held by writeback-7d9f-abcde"
        )

        yield* first.release
        assert.isNull(fake.get("iam", "dfo-writeback")?.spec.holderIdentity)
        const second = yield* take(optionsFor(fake, "nightly-cronjob-xyz"))
        assert.strictEqual(
          fake.get("iam", "dfo-writeback")?.spec.holderIdentity,
          "nightly-cronjob-xyz"
        )
        assert.strictEqual(fake.get("iam", "dfo-writeback")?.spec.leaseTransitions, 1)
        yield* second.release
      })
    )
  )

  it.live(
    "a holder renews; a lease left to expire is taken over, and its old holder learns it lost it",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakeKubernetes.start("sa-token-for-tests-0123456789")
        const first = yield* take(optionsFor(fake, "replica-a"))
        const renewedAt = fake.get("iam", "dfo-writeback")?.spec.renewTime
        yield* Effect.sleep("1500 millis")
        assert.notStrictEqual(fake.get("iam", "dfo-writeback")?.spec.renewTime, renewedAt)

        // Replica A stalls (its renewals stop reaching the API server): the test writes an
        // expired renewal, as the API server would hold after A's silence.
        const lost = yield* Effect.fork(first.held.lost)
        const expired = new Date(Date.now() - 10_000).toISOString().replace("Z", "000Z")
        fake.put("iam", "dfo-writeback", {
          ...fake.get("iam", "dfo-writeback")?.spec,
          renewTime: expired
        })
        // ...and before A renews again, B takes the expired lease.
        const second = yield* take(optionsFor(fake, "replica-b"))
        const reason = yield* Fiber.join(lost)
        assert.strictEqual(reason, "LEASE_LOST: k8s:iam/dfo-writeback is now held by replica-b")
        yield* first.release
        // A's release left B's lease alone.
        assert.strictEqual(fake.get("iam", "dfo-writeback")?.spec.holderIdentity, "replica-b")
        yield* second.release
      }).pipe(Effect.scoped)
  )

  it.live(
    "a lease that cannot be renewed before it expires is lost; no token, no lease",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakeKubernetes.start("sa-token-for-tests-0123456789")
        const options = optionsFor(fake, "replica-a")
        const first = yield* take(options)
        // The token is rotated to one the API server refuses: every renewal fails.
        writeFileSync(options.tokenFile, "revoked-token")
        const reason = yield* first.held.lost.pipe(Effect.timeout("8 seconds"))
        assert.match(
          reason,
          /^LEASE_LOST: k8s:iam\/dfo-writeback could not be renewed within 3 s: .*HTTP 401.*RBAC/
        )
        yield* first.release

        const refused = yield* Effect.flip(acquire({ ...options, identity: "replica-b" }))
        assert.strictEqual(refused._tag, "LeaseUnavailable")
        assert.notInclude(refused.message, "revoked-token")
      }).pipe(Effect.scoped),
    20_000
  )

  it("reads WRITEBACK_LEASE strictly", () => {
    const k8s = LeaseConfig.parse("k8s:iam/dfo-writeback")
    assert.isTrue(
      k8s._tag === "Right" && k8s.right._tag === "Kubernetes" && k8s.right.name === "dfo-writeback"
    )
    assert.strictEqual(LeaseConfig.parse("k8s:IAM/x")._tag, "Left")
    assert.strictEqual(LeaseConfig.parse("file:relative/path")._tag, "Left")
    assert.strictEqual(LeaseConfig.parse("etcd:x")._tag, "Left")
    assert.strictEqual(LeaseConfig.parse("file:/run/lock/writeback.lock")._tag, "Right")
    assert.strictEqual(
      Lease.make(
        { spec: { _tag: "File", path: "/x" }, durationSeconds: 30 },
        "me",
        Lease.inCluster({})
      ).name,
      "file:/x"
    )
  })

  it.effect("stops start-up on a bad WRITEBACK_LEASE or duration, and is off without one", () =>
    Effect.gen(function* () {
      const read = (settings: Record<string, string>) =>
        Effect.either(
          Effect.withConfigProvider(
            LeaseConfig.config,
            ConfigProvider.fromMap(new Map(Object.entries(settings)))
          )
        )
      assert.deepStrictEqual(yield* read({}), Either.right(Option.none()))
      for (const [settings, why] of [
        [{ WRITEBACK_LEASE: "etcd:x" }, "must be k8s:<namespace>/<name>"],
        [{ WRITEBACK_LEASE: "file:relative" }, "absolute path"],
        [{ WRITEBACK_LEASE: "file:/run/l", WRITEBACK_LEASE_DURATION_S: "2" }, "from 3 to 3600"],
        [
          { WRITEBACK_LEASE: "file:/run/l", WRITEBACK_LEASE_DURATION_S: "soon" },
          "WRITEBACK_LEASE_DURATION_S"
        ]
      ] as const) {
        const result = yield* read(settings)
        assert.isTrue(Either.isLeft(result), why)
        assert.include(Either.isLeft(result) ? String(result.left) : "", why)
      }
    })
  )
})
