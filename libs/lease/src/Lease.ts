/**
 * One full run across processes (CONTRACT §8): a run that may write takes the lease first
 * and holds it to its end. Held elsewhere, the run does not start (`LeaseHeld`, code
 * `RUN_IN_PROGRESS`, naming the holder). A lease that cannot be renewed before it expires
 * is lost: `Held.lost` completes with the reason, and the run starts no further users.
 */
import { hostname } from "node:os"
import { Context, Effect, Layer, Option } from "effect"
import * as File from "./internal/file.js"
import * as Kubernetes from "./internal/kubernetes.js"
import { describe, type LeaseSettings } from "./LeaseConfig.js"
import type { Acquire } from "./internal/held.js"

export type { Held } from "./internal/held.js"

export interface Service {
  /** `k8s:<namespace>/<name>`, `file:<path>`, or "" without a lease. */
  readonly name: string
  /** Takes the lease for the length of the scope (renewing it), or says who holds it. */
  readonly acquire: Acquire
}

export class Lease extends Context.Tag("@dfo-writeback/lease/Lease")<Lease, Service>() {}

/** Without a lease configured: every acquire succeeds and is never lost. */
export const none: Service = {
  name: "",
  acquire: Effect.succeed({ lost: Effect.never })
}

/**
 * How this process names itself to other holders: in a pod (`KUBERNETES_SERVICE_HOST` set)
 * its name, which Kubernetes gives as `HOSTNAME`; else host and pid.
 */
export const defaultIdentity = (
  environment: Readonly<Record<string, string | undefined>>
): string => {
  const pod = environment["HOSTNAME"] ?? ""
  return environment["KUBERNETES_SERVICE_HOST"] !== undefined && pod !== ""
    ? pod
    : `${hostname()}/${process.pid}`
}

/** Where a pod reads its service account (Kubernetes' fixed paths). */
export const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

/** Where a `k8s:` lease is kept: the API server, and the credentials to speak to it. */
export interface KubernetesEndpoint {
  /** `https://<host>:<port>`. */
  readonly baseUrl: string
  readonly tokenFile: string
  /** `undefined`: the system's CAs. */
  readonly caFile: string | undefined
}

/**
 * The API server as a pod reaches it: `KUBERNETES_SERVICE_HOST`/`_PORT` over https, the
 * service account's token and CA at Kubernetes' fixed paths. The only endpoint the apps
 * build: nothing in the environment or the configuration points a lease anywhere else.
 */
export const inCluster = (
  environment: Readonly<Record<string, string | undefined>>
): KubernetesEndpoint => {
  const host = environment["KUBERNETES_SERVICE_HOST"] ?? ""
  const port = environment["KUBERNETES_SERVICE_PORT"] ?? "443"
  return {
    baseUrl: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    tokenFile: `${serviceAccountDir}/token`,
    caFile: `${serviceAccountDir}/ca.crt`
  }
}

/** The lease `settings` name, for a process named `identity`; a `k8s:` one at `kubernetes`. */
export const make = (
  settings: LeaseSettings,
  identity: string,
  kubernetes: KubernetesEndpoint
): Service => {
  const name = describe(settings.spec)
  if (settings.spec._tag === "File") {
    return { name, acquire: File.acquire(settings.spec.path, name, identity) }
  }
  return {
    name,
    acquire: Kubernetes.acquire({
      ...kubernetes,
      lease: name,
      namespace: settings.spec.namespace,
      name: settings.spec.name,
      durationSeconds: settings.durationSeconds,
      identity
    })
  }
}

/** The lease of `settings`, or `none` without one. */
export const fromSettings = (
  settings: Option.Option<LeaseSettings>,
  identity: string,
  kubernetes: KubernetesEndpoint
): Service =>
  Option.match(settings, { onNone: () => none, onSome: (s) => make(s, identity, kubernetes) })

/** `fromSettings` as a layer. */
export const layer = (
  settings: Option.Option<LeaseSettings>,
  identity: string,
  kubernetes: KubernetesEndpoint
): Layer.Layer<Lease> => Layer.succeed(Lease, fromSettings(settings, identity, kubernetes))
