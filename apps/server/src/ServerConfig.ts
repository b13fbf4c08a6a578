/**
 * The server's own settings (CONTRACT §6, `GRPC_*`), validated together so one start-up
 * message lists every problem.
 */
import * as fs from "node:fs"
import { Config, ConfigError, Either, Option, Redacted } from "effect"
import * as Callers from "./Callers.js"
import * as ListenAddress from "./ListenAddress.js"

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
  /** After SIGTERM, how long health answers NOT_SERVING before the listener closes. */
  readonly shutdownDrainMs: number
  /** How often the background health check binds to LDAP and probes DFØ. */
  readonly healthCheckIntervalMs: number
}

const listen = Config.string("GRPC_LISTEN").pipe(
  Config.withDefault("127.0.0.1:50051"),
  Config.validate({
    message:
      "GRPC_LISTEN must be host:port (port 0–65535), e.g. 127.0.0.1:50051, 0.0.0.0:50051, [::]:50051 or :50051",
    validation: ListenAddress.isValid
  })
)

const authTokens = Config.option(Config.redacted("GRPC_AUTH_TOKENS")).pipe(
  Config.mapOrFail(
    Option.match({
      onNone: () => Either.right([]),
      onSome: (tokens) =>
        Either.mapLeft(Callers.parse(Redacted.value(tokens)), (problems) =>
          ConfigError.InvalidData(["GRPC_AUTH_TOKENS"], problems.join("; "))
        )
    })
  )
)

const file = (name: string) => Config.option(Config.string(name))

const readFile = (setting: string, path: string): Either.Either<Buffer, ConfigError.ConfigError> =>
  Either.try({
    try: () => fs.readFileSync(path),
    catch: (cause) =>
      ConfigError.InvalidData(
        [setting],
        `cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}`
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
  cert: file("GRPC_TLS_CERT_FILE"),
  key: file("GRPC_TLS_KEY_FILE"),
  clientCa: file("GRPC_TLS_CLIENT_CA_FILE")
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
      const certChain = readFile("GRPC_TLS_CERT_FILE", cert.value)
      const privateKey = readFile("GRPC_TLS_KEY_FILE", key.value)
      const ca = Option.map(clientCa, (path) => readFile("GRPC_TLS_CLIENT_CA_FILE", path))
      const problems = combine(
        [certChain, privateKey, ...Option.toArray(ca)].flatMap((read) =>
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
 * `GRPC_SHUTDOWN_GRACE_MS`, `GRPC_SHUTDOWN_DRAIN_MS`, `GRPC_HEALTH_CHECK_INTERVAL_MS`.
 */
export const config: Config.Config<ServerSettings> = Config.all({
  listen,
  authTokens,
  allowUnauthenticated: Config.boolean("GRPC_ALLOW_UNAUTHENTICATED").pipe(
    Config.withDefault(false)
  ),
  tls,
  shutdownGraceMs: Config.integer("GRPC_SHUTDOWN_GRACE_MS").pipe(
    Config.withDefault(30_000),
    Config.validate({
      message: "GRPC_SHUTDOWN_GRACE_MS must be 0 or more",
      validation: (ms) => ms >= 0
    })
  ),
  shutdownDrainMs: Config.integer("GRPC_SHUTDOWN_DRAIN_MS").pipe(
    Config.withDefault(5_000),
    Config.validate({
      message: "GRPC_SHUTDOWN_DRAIN_MS must be 0 or more",
      validation: (ms) => ms >= 0
    })
  ),
  healthCheckIntervalMs: Config.integer("GRPC_HEALTH_CHECK_INTERVAL_MS").pipe(
    Config.withDefault(30_000),
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
    validation: (settings) => settings.authTokens.length > 0 || settings.allowUnauthenticated
  })
)
