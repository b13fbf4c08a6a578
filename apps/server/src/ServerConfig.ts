/**
 * The server's own settings (CONTRACT §6, `GRPC_*`), validated together so one start-up
 * message lists every problem.
 */
import { X509Certificate } from "node:crypto"
import * as fs from "node:fs"
import * as tlsModule from "node:tls"
import { ServerSettings } from "@dfo-writeback/contract"
import { Settings } from "@dfo-writeback/edge"
import { Config, ConfigError, Either, Option, Redacted } from "effect"
import * as Callers from "./Callers.js"
import * as ListenAddress from "./ListenAddress.js"

const { settings } = ServerSettings

/** The certificate and key the server presents, and the CA its clients must chain to. */
export interface TlsSettings {
  readonly certChain: Buffer
  readonly privateKey: Redacted.Redacted<Buffer>
  /** With a client CA the server requires and checks client certificates (mutual TLS). */
  readonly clientCa: Option.Option<Buffer>
}

export interface ServerSettings {
  /** `host:port` to bind; port 0 picks a free one. */
  readonly listen: string
  /** Accepted bearer tokens, with their callers' names and scopes; empty only with `allowUnauthenticated`. */
  readonly authTokens: ReadonlyArray<Callers.CallerToken>
  readonly allowUnauthenticated: boolean
  /** Plaintext when `None`. */
  readonly tls: Option.Option<TlsSettings>
  /** How long running calls may go on after SIGTERM before they are cancelled. */
  readonly shutdownGraceMs: number
  /** A stream whose client has read nothing for this long is cancelled. */
  readonly streamStallTimeoutMs: number
  /** A run older than this is cancelled. */
  readonly maxRunMs: number
  /** After SIGTERM, how long health answers NOT_SERVING before the listener closes. */
  readonly shutdownDrainMs: number
  /** How often the background health check binds to LDAP and probes DFØ. */
  readonly healthCheckIntervalMs: number
}

const listen = Config.string(settings.listen.name).pipe(
  Config.withDefault(settings.listen.default),
  Config.validate({
    message:
      "GRPC_LISTEN must be host:port (port 0–65535), e.g. 127.0.0.1:50051, 0.0.0.0:50051, [::]:50051 or :50051",
    validation: ListenAddress.isValid
  })
)

const authTokens = Config.option(Config.redacted(settings.authTokens.name)).pipe(
  Config.mapOrFail(
    Option.match({
      onNone: () => Either.right([]),
      onSome: (tokens) =>
        Either.mapLeft(Callers.parse(Redacted.value(tokens)), (problems) =>
          ConfigError.InvalidData([settings.authTokens.name], problems.join("; "))
        )
    })
  )
)

/** A duration a Node.js timer can hold: at most 2^31 − 1 ms, or the timer fires at once. */
const milliseconds = (
  { default: fallback, name }: Settings.Declared<"integer", number>,
  min: number
) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.validate({
      message: `${name} must be from ${min} to ${Settings.maxTimerMs} ms`,
      validation: (ms) => ms >= min && ms <= Settings.maxTimerMs
    })
  )

const file = (name: string) => Config.option(Config.string(name))

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const readFile = (setting: string, path: string): Either.Either<Buffer, ConfigError.ConfigError> =>
  Either.try({
    try: () => {
      // A FIFO or device would block or never end; certificates are small regular files.
      if (!fs.statSync(path).isFile()) throw new Error("not a regular file")
      return fs.readFileSync(path)
    },
    catch: (cause) => ConfigError.InvalidData([setting], `cannot read ${path}: ${describe(cause)}`)
  })

/** At least one PEM certificate, and every one parses. */
const checkCertificates = (
  setting: string,
  path: string,
  pem: Buffer
): Either.Either<Buffer, ConfigError.ConfigError> => {
  const blocks =
    pem.toString("utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ??
    []
  if (blocks.length === 0) {
    return Either.left(ConfigError.InvalidData([setting], `${path} holds no PEM certificate`))
  }
  return Either.try({
    try: () => {
      for (const block of blocks) new X509Certificate(block)
      return pem
    },
    catch: (cause) =>
      ConfigError.InvalidData(
        [setting],
        `${path} holds a certificate that does not parse: ${describe(cause)}`
      )
  })
}

/** The key must parse and belong to the certificate, or every TLS handshake would fail. */
const checkKeyPair = (cert: Buffer, key: Buffer): Either.Either<void, ConfigError.ConfigError> =>
  Either.try({
    try: () => void tlsModule.createSecureContext({ cert, key }),
    catch: (cause) =>
      ConfigError.InvalidData(
        ["GRPC_TLS_KEY_FILE"],
        `the key does not parse or does not match GRPC_TLS_CERT_FILE: ${describe(cause)}`
      )
  })

/** Every problem, not only the first: one failure combining them all. */
const combine = (
  errors: ReadonlyArray<ConfigError.ConfigError>
): Option.Option<ConfigError.ConfigError> => {
  const [first, ...rest] = errors
  return first === undefined ? Option.none() : Option.some(rest.reduce(ConfigError.And, first))
}

const tls = Config.all({
  cert: file(settings.tlsCertFile.name),
  key: file(settings.tlsKeyFile.name),
  clientCa: file(settings.tlsClientCaFile.name)
}).pipe(
  Config.mapOrFail(
    ({
      cert,
      key,
      clientCa
    }): Either.Either<Option.Option<TlsSettings>, ConfigError.ConfigError> => {
      if (Option.isNone(cert) && Option.isNone(key)) {
        return Option.isSome(clientCa)
          ? Either.left(
              ConfigError.InvalidData(
                ["GRPC_TLS_CLIENT_CA_FILE"],
                "mutual TLS needs GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE too"
              )
            )
          : Either.right(Option.none())
      }
      if (Option.isNone(cert) || Option.isNone(key)) {
        const missing = Option.isNone(cert) ? "GRPC_TLS_CERT_FILE" : "GRPC_TLS_KEY_FILE"
        return Either.left(
          ConfigError.InvalidData(
            [missing],
            "TLS needs both GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE"
          )
        )
      }
      const certChain = Either.flatMap(readFile("GRPC_TLS_CERT_FILE", cert.value), (pem) =>
        checkCertificates("GRPC_TLS_CERT_FILE", cert.value, pem)
      )
      const privateKey = readFile("GRPC_TLS_KEY_FILE", key.value)
      const ca = Option.map(clientCa, (path) =>
        Either.flatMap(readFile("GRPC_TLS_CLIENT_CA_FILE", path), (pem) =>
          checkCertificates("GRPC_TLS_CLIENT_CA_FILE", path, pem)
        )
      )
      const pair =
        Either.isRight(certChain) && Either.isRight(privateKey)
          ? checkKeyPair(certChain.right, privateKey.right)
          : Either.void
      const problems = combine(
        [certChain, privateKey, pair, ...Option.toArray(ca)].flatMap(
          (read: Either.Either<unknown, ConfigError.ConfigError>) =>
            Either.isLeft(read) ? [read.left] : []
        )
      )
      if (Option.isSome(problems)) return Either.left(problems.value)
      return Either.right(
        Option.some({
          certChain: Either.getOrThrow(certChain),
          privateKey: Redacted.make(Either.getOrThrow(privateKey)),
          clientCa: Option.map(ca, Either.getOrThrow)
        })
      )
    }
  )
)

/**
 * `GRPC_LISTEN`, `GRPC_AUTH_TOKENS`, `GRPC_ALLOW_UNAUTHENTICATED`, `GRPC_TLS_*`,
 * `GRPC_SHUTDOWN_GRACE_MS`, `GRPC_SHUTDOWN_DRAIN_MS`, `GRPC_HEALTH_CHECK_INTERVAL_MS`,
 * `GRPC_STREAM_STALL_TIMEOUT_MS`, `WRITEBACK_MAX_RUN_MS`.
 */
export const config: Config.Config<ServerSettings> = Config.all({
  listen,
  authTokens,
  allowUnauthenticated: Config.boolean(settings.allowUnauthenticated.name).pipe(
    Config.withDefault(settings.allowUnauthenticated.default)
  ),
  tls,
  shutdownGraceMs: milliseconds(settings.shutdownGraceMs, 0),
  streamStallTimeoutMs: milliseconds(settings.streamStallTimeoutMs, 1),
  maxRunMs: milliseconds(settings.maxRunMs, 1),
  shutdownDrainMs: milliseconds(settings.shutdownDrainMs, 0),
  healthCheckIntervalMs: Config.integer(settings.healthCheckIntervalMs.name).pipe(
    Config.withDefault(settings.healthCheckIntervalMs.default),
    Config.validate({
      // Health older than 30 s would let a load balancer send calls to a server that lost
      // LDAP or DFØ long ago (issue #12: checked at most every 30 s).
      message: "GRPC_HEALTH_CHECK_INTERVAL_MS must be between 100 and 30000",
      validation: (ms) => ms >= 100 && ms <= 30_000
    })
  )
}).pipe(
  Config.validate({
    message:
      "GRPC_AUTH_TOKENS is required (comma-separated bearer tokens); " +
      "set GRPC_ALLOW_UNAUTHENTICATED=true to serve without authentication",
    validation: (read) => read.authTokens.length > 0 || read.allowUnauthenticated
  })
)
