// A process in a "pod" (root only, as CI runs): its own mount namespace with the service
// account at Kubernetes' fixed path, the API server's address in its environment, and the
// fake API server reached over https trusting only the pod's ca.crt. Nothing on the host
// outside temp dirs is made.
import { existsSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { ChildProcess, FakeKubernetes, Pod } from "../src/index.js"

// Reads the lease endpoint as a pod's client would: the fixed paths, no other setting.
const client = `
const { readFileSync } = require("node:fs")
const https = require("node:https")
const dir = "${Pod.serviceAccountDir}"
const token = readFileSync(dir + "/token", "utf8")
https.get({
  host: process.env.KUBERNETES_SERVICE_HOST,
  port: process.env.KUBERNETES_SERVICE_PORT,
  path: "/apis/coordination.k8s.io/v1/namespaces/" + readFileSync(dir + "/namespace", "utf8") + "/leases/x",
  ca: readFileSync(dir + "/ca.crt"),
  headers: { authorization: "Bearer " + token },
  agent: false
}, (response) => {
  response.resume()
  let readOnly = false
  try { require("node:fs").writeFileSync(dir + "/token", "changed") } catch { readOnly = true }
  console.log(JSON.stringify({ status: response.statusCode, host: process.env.HOSTNAME, readOnly }))
}).on("error", (error) => console.log(JSON.stringify({ error: error.message })))
`

describe("Pod", () => {
  it.live("runs a process as in a pod, reaching the fake API server over https", () =>
    Effect.gen(function* () {
      const hostHadSecrets = existsSync(Pod.serviceAccountDir)
      const kubernetes = yield* FakeKubernetes.start("sa-token-3b8e", { tls: true })
      assert.match(kubernetes.url, /^https:\/\/127\.0\.0\.1:\d+$/)
      const spec = {
        name: "writeback-5f7c9-abcde",
        port: kubernetes.port,
        token: kubernetes.token,
        caFile: kubernetes.caFile ?? "",
        namespace: "iam"
      }
      const pod = yield* Pod.start(spec, process.execPath, ["-e", client], {
        inheritEnv: false,
        readyWhen: (line) => JSON.parse(line) as unknown
      })
      // 404: the token was accepted (no 401) and the lease does not exist yet.
      assert.deepStrictEqual(pod.ready, {
        status: 404,
        host: "writeback-5f7c9-abcde",
        readOnly: true
      })
      assert.strictEqual(kubernetes.requests()["GET"], 1)
      yield* pod.exit
      assert.strictEqual(existsSync(Pod.serviceAccountDir), hostHadSecrets)
    }).pipe(Effect.scoped, Effect.provide(ChildProcess.layer))
  )
})
