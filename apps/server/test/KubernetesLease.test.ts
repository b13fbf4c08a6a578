// One full run across processes with WRITEBACK_LEASE=k8s:… (CONTRACT §8), as in a cluster:
// the built server runs in pods (testkit's Pod: a mount namespace of its own with the
// service account at Kubernetes' fixed path, KUBERNETES_SERVICE_HOST/_PORT set) and
// reaches FakeKubernetes over https, trusting only the pod's ca.crt. Needs root.
import { WritebackService } from "@dfo-writeback/contract"
import { FakeKubernetes } from "@dfo-writeback/testkit"
import { assert, layer } from "@effect/vitest"
import { status } from "@grpc/grpc-js"
import { Context, Effect, Layer } from "effect"
import * as Fixture from "./utils/fixture.js"
import { client, eventually, start, writeback, type WritebackClient } from "./utils/grpc.js"
import * as ServerProcess from "./utils/ServerProcess.js"

const lease = "k8s:writeback/full-run"
const pods = { first: "writeback-6c9f8-q2x7d", second: "writeback-6c9f8-m4k1z" } as const

interface Cluster {
  readonly emulator: Fixture.Fixture["emulator"]
  readonly kubernetes: FakeKubernetes.FakeKubernetes
  readonly first: WritebackClient
  readonly second: WritebackClient
  /** A pod whose service-account token the API server refuses. */
  readonly refused: WritebackClient
}

class Services extends Context.Tag("server-test/KubernetesLease")<Services, Cluster>() {}

const cluster = Layer.scoped(
  Services,
  Effect.gen(function* () {
    const { testbed, emulator } = yield* Fixture.backends
    const kubernetes = yield* FakeKubernetes.start("sa-token-7d1e0c9b2a", { tls: true }).pipe(
      Effect.orDie
    )
    const env = Fixture.serverEnv(testbed, emulator, { WRITEBACK_LEASE: lease })
    const pod = (name: string, token = kubernetes.token) =>
      ServerProcess.scoped(env, {
        name,
        port: kubernetes.port,
        token,
        caFile: kubernetes.caFile ?? "",
        namespace: "writeback"
      }).pipe(Effect.flatMap((server) => client(WritebackService, server.address)))
    const [first, second, refused] = yield* Effect.all(
      [pod(pods.first), pod(pods.second), pod("writeback-6c9f8-r8n3v", "a-revoked-token")],
      { concurrency: "unbounded" }
    )
    return { emulator, kubernetes, first, second, refused }
  })
)

const holder = (kubernetes: FakeKubernetes.FakeKubernetes) =>
  kubernetes.get("writeback", "full-run")?.spec.holderIdentity

layer(cluster, { excludeTestServices: true, timeout: "60 seconds" })(
  "WRITEBACK_LEASE=k8s: through the API server, from pods",
  (it) => {
    it.scoped("a token the API server refuses: the full run fails with the RBAC hint", () =>
      Effect.gen(function* () {
        const { emulator, kubernetes, refused } = yield* Services
        emulator.reset()
        const answer = yield* writeback(refused, { processAll: true })
        assert.strictEqual(answer.error?.code, status.UNAVAILABLE)
        assert.strictEqual(
          answer.error?.details,
          `LEASE_UNAVAILABLE: the lease ${lease} could not be taken: ` +
            "GET /apis/coordination.k8s.io/v1/namespaces/writeback/leases/full-run answered " +
            "HTTP 401: check the service account's RBAC (get, create, update on leases)"
        )
        assert.deepStrictEqual(answer.events, [])
        assert.deepStrictEqual(emulator.log(), [], "nothing read from DFØ, nothing written")
        assert.isUndefined(kubernetes.get("writeback", "full-run"))
      })
    )

    it.scoped(
      "while one pod's full run holds the lease, another's is ABORTED naming it; released, it runs",
      () =>
        Effect.gen(function* () {
          const { emulator, kubernetes, first, second } = yield* Services
          emulator.reset()
          // Every DFØ answer slowed: the first run lasts a few seconds.
          emulator.setFaults({ latencyMs: 300 })
          const running = start(first, { processAll: true })
          yield* eventually(() => holder(kubernetes) === pods.first, "the first pod to hold it")

          const refused = yield* writeback(second, { processAll: true })
          assert.strictEqual(refused.error?.code, status.ABORTED)
          assert.strictEqual(
            refused.error?.details,
            `RUN_IN_PROGRESS: a full run is already in progress: the lease ${lease} is held by ${pods.first}`
          )
          assert.deepStrictEqual(refused.events, [])
          assert.isFalse(running.ended(), "the first run was still going")
          assert.strictEqual(holder(kubernetes), pods.first)

          const done = yield* Effect.promise(() => running.answer)
          assert.isUndefined(done.error)
          assert.isAbove(emulator.log().filter((entry) => entry.method === "PUT").length, 0)
          assert.isNull(holder(kubernetes), "released at the run's end")

          emulator.setFaults({ latencyMs: 0 })
          const after = yield* writeback(second, { processAll: true })
          assert.isUndefined(after.error)
          assert.strictEqual(after.events.at(-1)?.event.case, "summary")
          // The second pod took the free lease (one transition) and released it in turn.
          assert.isNull(holder(kubernetes))
          assert.strictEqual(kubernetes.get("writeback", "full-run")?.spec.leaseTransitions, 1)
        })
    )
  }
)
