/**
 * A small stand-in for the Kubernetes API server's `coordination.k8s.io/v1` Lease endpoint,
 * the way the DFØ emulator stands in for DFØ: no API server can run on these machines. It
 * keeps the semantics a lease holder relies on: `resourceVersion` on every object, a write
 * naming a stale one answered `409 Conflict`, `404` for a missing lease, `409` for creating
 * one that exists, and `401` without the expected bearer token. Over http for the lease
 * lib's own tests, or over https as a pod reaches the API server (`tls: true`): a
 * throw-away CA and a certificate for 127.0.0.1, the CA's PEM at `caFile`.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { createServer as createTlsServer } from "node:https"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import * as Certificates from "./Certificates.js"
import * as ChildProcess from "./ChildProcess.js"

export interface LeaseSpec {
  readonly holderIdentity?: string | null
  readonly leaseDurationSeconds?: number | null
  readonly acquireTime?: string | null
  readonly renewTime?: string | null
  readonly leaseTransitions?: number | null
}

export interface StoredLease {
  readonly namespace: string
  readonly name: string
  readonly resourceVersion: string
  readonly spec: LeaseSpec
}

export interface FakeKubernetes {
  /** `http://127.0.0.1:<port>`, or `https://` with `tls`. */
  readonly url: string
  readonly port: number
  /** With `tls`: the PEM of the CA that signed its certificate (what a pod finds as `ca.crt`). */
  readonly caFile: string | undefined
  /** The bearer token it accepts. */
  readonly token: string
  readonly get: (namespace: string, name: string) => StoredLease | undefined
  /** Writes a lease as another client would (a new resourceVersion). */
  readonly put: (namespace: string, name: string, spec: LeaseSpec) => void
  /** Requests by method, for tests that count them. */
  readonly requests: () => Readonly<Record<string, number>>
}

const pathPattern =
  /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/?]+))?$/

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = ""
    request.setEncoding("utf8")
    request.on("data", (chunk: string) => (text += chunk))
    request.on("end", () => resolve(text))
    request.on("error", reject)
  })

export interface Options {
  /** Serve https with a throw-away CA, as the API server does. Default `false` (http). */
  readonly tls?: boolean
}

type Handler = Parameters<typeof createServer>[1] & {}

/** A throw-away CA and server certificate in a temp dir removed with the scope. */
const tlsServer = (handler: Handler) =>
  Effect.gen(function* () {
    const dir = yield* Effect.acquireRelease(
      Effect.promise(() => mkdtemp(join(tmpdir(), "fake-kubernetes-"))),
      (path) => Effect.promise(() => rm(path, { recursive: true, force: true }))
    )
    const files = yield* Certificates.generate(dir).pipe(Effect.provide(ChildProcess.layer))
    const [cert, key] = yield* Effect.promise(() =>
      Promise.all([readFile(files.certFile), readFile(files.keyFile)])
    )
    return { server: createTlsServer({ cert, key }, handler), caFile: files.caFile }
  })

/** Starts the fake on a free loopback port for the length of the scope. */
export const start = (
  token: string,
  options: Options = {}
): Effect.Effect<FakeKubernetes, Certificates.CertificateError, Scope.Scope> =>
  Effect.gen(function* () {
    const leases = new Map<string, StoredLease>()
    const counts: Record<string, number> = {}
    let version = 100
    const store = (namespace: string, name: string, spec: LeaseSpec): StoredLease => {
      const lease = { namespace, name, resourceVersion: String(++version), spec }
      leases.set(`${namespace}/${name}`, lease)
      return lease
    }
    const object = (lease: StoredLease) => ({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: lease.name,
        namespace: lease.namespace,
        resourceVersion: lease.resourceVersion
      },
      spec: lease.spec
    })
    const send = (response: ServerResponse, status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" })
      response.end(JSON.stringify(body))
    }
    const status = (response: ServerResponse, code: number, reason: string) =>
      send(response, code, { kind: "Status", apiVersion: "v1", status: "Failure", reason, code })

    const handle = async (request: IncomingMessage, response: ServerResponse) => {
      const method = request.method ?? "GET"
      counts[method] = (counts[method] ?? 0) + 1
      if (request.headers.authorization !== `Bearer ${token}`) {
        return status(response, 401, "Unauthorized")
      }
      const match = pathPattern.exec(request.url ?? "")
      if (match === null) return status(response, 404, "NotFound")
      const [, namespace = "", name] = match
      const text = method === "GET" ? "" : await readBody(request)
      const body = (text === "" ? {} : JSON.parse(text)) as {
        metadata?: { name?: string; resourceVersion?: string }
        spec?: LeaseSpec
      }
      const key = (leaseName: string) => `${namespace}/${leaseName}`
      if (method === "GET" && name !== undefined) {
        const lease = leases.get(key(name))
        return lease === undefined
          ? status(response, 404, "NotFound")
          : send(response, 200, object(lease))
      }
      if (method === "POST" && name === undefined) {
        const created = body.metadata?.name ?? ""
        if (leases.has(key(created))) return status(response, 409, "AlreadyExists")
        return send(response, 201, object(store(namespace, created, body.spec ?? {})))
      }
      if (method === "PUT" && name !== undefined) {
        const lease = leases.get(key(name))
        if (lease === undefined) return status(response, 404, "NotFound")
        if (body.metadata?.resourceVersion !== lease.resourceVersion) {
          return status(response, 409, "Conflict")
        }
        return send(response, 200, object(store(namespace, name, body.spec ?? {})))
      }
      return status(response, 405, "MethodNotAllowed")
    }

    const handler: Handler = (request, response) => {
      handle(request, response).catch(() => status(response, 500, "InternalError"))
    }
    const made =
      options.tls === true
        ? yield* tlsServer(handler)
        : { server: createServer(handler), caFile: undefined }
    const server = yield* Effect.acquireRelease(
      Effect.async<typeof made.server>((resume) => {
        made.server.listen(0, "127.0.0.1", () => resume(Effect.succeed(made.server)))
      }),
      (listening) =>
        Effect.async<void>((resume) => {
          listening.closeAllConnections()
          listening.close(() => resume(Effect.void))
        })
    )
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    return {
      url: `${options.tls === true ? "https" : "http"}://127.0.0.1:${port}`,
      port,
      caFile: made.caFile,
      token,
      get: (namespace, name) => leases.get(`${namespace}/${name}`),
      put: (namespace, name, spec) => void store(namespace, name, spec),
      requests: () => ({ ...counts })
    }
  })
