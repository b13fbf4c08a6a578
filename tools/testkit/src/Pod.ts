/**
 * A process started as in a Kubernetes pod, so a test reaches the (fake) API server the way
 * a pod does, through the fixed paths no setting can change: in a mount namespace of its
 * own (unshare(1)), with the service account's token and CA at
 * /var/run/secrets/kubernetes.io/serviceaccount and `KUBERNETES_SERVICE_HOST`/`_PORT` and
 * `HOSTNAME` (the pod's name) in its environment. On the host only a temp dir is made:
 * inside the namespace a tmpfs covers /run (where /var/run points on Debian), the path is
 * made there and the temp dir bound onto it read-only; the namespace ends with the process.
 * Needs root, for the mount namespace.
 */
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { CommandExecutor } from "@effect/platform"
import { Effect, Schema, type Scope } from "effect"
import * as ChildProcess from "./ChildProcess.js"
import * as Executables from "./Executables.js"
import * as Watchdog from "./Watchdog.js"

/** Kubernetes' fixed path of a pod's service account. */
export const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

export interface Spec {
  /** The pod's name, given as `HOSTNAME` the way Kubernetes does. */
  readonly name: string
  /** The API server's port on 127.0.0.1 (`KUBERNETES_SERVICE_PORT`). */
  readonly port: number
  /** The service account's token, as the kubelet mounts it. */
  readonly token: string
  /** The PEM of the CA that signed the API server's certificate (`ca.crt`). */
  readonly caFile: string
  /** The pod's namespace (the service account's `namespace` file). Default `default`. */
  readonly namespace?: string
}

/** This machine cannot start a pod: not root, or no unshare(1). */
export class PodError extends Schema.TaggedError<PodError>()("PodError", {
  detail: Schema.String
}) {
  override get message() {
    return `cannot start a process as in a pod: ${this.detail}`
  }
}

/** unshare(1), when this process may make a mount namespace with it. */
const unshare = Effect.gen(function* () {
  if (process.getuid?.() !== 0) {
    return yield* new PodError({
      detail: "a mount namespace needs root (unshare --mount); run the tests as root, as CI does"
    })
  }
  const found = Executables.locate("unshare", ["/usr/bin", "/bin", "/usr/sbin", "/sbin"])
  if (found === undefined) {
    return yield* new PodError({ detail: "unshare(1) not found; install util-linux" })
  }
  return found
})

// Runs inside the namespace: $1 is the host's service-account dir, the rest the command.
const script = [
  "set -e",
  'mount -t tmpfs -o mode=0755 pod-run "$(readlink -f /var/run)"',
  `mkdir -p ${serviceAccountDir}`,
  `mount --bind "$1" ${serviceAccountDir}`,
  `mount -o remount,bind,ro ${serviceAccountDir}`,
  "shift",
  'exec "$@"'
].join("\n")

/** The service account's files in a temp dir removed with the scope. */
const serviceAccount = (pod: Spec) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const dir = await mkdtemp(join(tmpdir(), `pod-${pod.name}-`))
      await writeFile(join(dir, "token"), pod.token, { mode: 0o600 })
      await writeFile(join(dir, "namespace"), pod.namespace ?? "default")
      await copyFile(pod.caFile, join(dir, "ca.crt"))
      return dir
    }),
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  )

/**
 * Starts `command args` in pod `pod` for the length of the scope, as `ChildProcess.start`
 * does (same options, `env` joined by the pod's), guarded by a watchdog.
 */
export const start = <A = undefined>(
  pod: Spec,
  command: string,
  args: ReadonlyArray<string>,
  options: ChildProcess.StartOptions<A> = {}
): Effect.Effect<
  ChildProcess.Child<A>,
  PodError | ChildProcess.ChildProcessError,
  CommandExecutor.CommandExecutor | Scope.Scope
> =>
  Effect.gen(function* () {
    const unshareCommand = yield* unshare
    const dir = yield* serviceAccount(pod)
    const child = yield* ChildProcess.start(
      unshareCommand,
      ["--mount", "--propagation", "private", "sh", "-c", script, "pod", dir, command, ...args],
      {
        ...options,
        env: {
          ...options.env,
          HOSTNAME: pod.name,
          KUBERNETES_SERVICE_HOST: "127.0.0.1",
          KUBERNETES_SERVICE_PORT: String(pod.port)
        }
      }
    )
    yield* Watchdog.guard(`pod-${pod.name}`, child.pid, dir)
    return child
  })
