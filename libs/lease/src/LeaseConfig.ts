/** Which lease a process takes before a run that may write (CONTRACT §8, WRITEBACK_LEASE). */
import { Config, ConfigError, Either, Option } from "effect"
import { settings as declared } from "./LeaseSettings.js"

export type LeaseSpec =
  | { readonly _tag: "Kubernetes"; readonly namespace: string; readonly name: string }
  | { readonly _tag: "File"; readonly path: string }

export interface LeaseSettings {
  readonly spec: LeaseSpec
  /** A holder renews every third of this (WRITEBACK_LEASE_DURATION_S, default 30). */
  readonly durationSeconds: number
}

/** How a lease is named in messages and logs. */
export const describe = (spec: LeaseSpec): string =>
  spec._tag === "File" ? `file:${spec.path}` : `k8s:${spec.namespace}/${spec.name}`

// A Kubernetes name: a DNS-1123 subdomain (namespaces: a label; both fit this pattern).
const dnsName = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/

/** `k8s:<namespace>/<name>` or `file:<absolute path>`, or why not. */
export const parse = (text: string): Either.Either<LeaseSpec, string> => {
  const k8s = /^k8s:([^/]+)\/([^/]+)$/.exec(text)
  if (k8s !== null) {
    const [, namespace = "", name = ""] = k8s
    return dnsName.test(namespace) && dnsName.test(name)
      ? Either.right({ _tag: "Kubernetes", namespace, name })
      : Either.left("k8s:<namespace>/<name> takes lower-case Kubernetes names")
  }
  if (text.startsWith("file:")) {
    const path = text.slice("file:".length)
    return path.startsWith("/")
      ? Either.right({ _tag: "File", path })
      : Either.left("file:<path> takes an absolute path")
  }
  return Either.left("must be k8s:<namespace>/<name> or file:<absolute path>")
}

/** `None` without WRITEBACK_LEASE: each process guards only itself. */
export const config: Config.Config<Option.Option<LeaseSettings>> = Config.all({
  spec: Config.option(
    Config.string(declared.lease.name).pipe(
      Config.mapOrFail((text) =>
        Either.mapLeft(parse(text), (why) => ConfigError.InvalidData([declared.lease.name], why))
      )
    )
  ),
  durationSeconds: Config.integer(declared.durationSeconds.name).pipe(
    Config.validate({
      message: "must be a whole number of seconds from 3 to 3600",
      validation: (n) => n >= 3 && n <= 3600
    }),
    Config.withDefault(declared.durationSeconds.default)
  )
}).pipe(
  Config.map(({ spec, durationSeconds }) =>
    Option.map(spec, (value) => ({ spec: value, durationSeconds }))
  )
)
