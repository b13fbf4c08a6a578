/**
 * A throw-away RabbitMQ node on free loopback ports, for tests, the demo and the bench, the
 * way `@dfo-writeback/ldap-testbed` runs slapd: Debian's `rabbitmq-server` (installed with
 * apt-get when missing and we are root), its own `epmd`, data and logs in a temp dir, one
 * user with a random password. It lives as long as its scope; `restart` stops the node and
 * starts it again on the same ports with the same data (durable queues and persistent
 * messages survive it, as on a real broker restart).
 */
import { randomBytes } from "node:crypto"
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ChildProcess, Ports, Watchdog } from "@dfo-writeback/testkit"
import type { CommandExecutor } from "@effect/platform"
import { Context, type Duration, Effect, Exit, Layer, Ref, Scope } from "effect"
import { rabbitmqConf } from "./internal/config.js"
import { BrokerTestbedError } from "./internal/error.js"
import { ensureRabbit, type RabbitTools } from "./internal/install.js"

export { BrokerTestbedError } from "./internal/error.js"

export interface Options {
  /** Install rabbitmq-server with apt-get when missing and running as root (default true). */
  readonly install?: boolean
  /** How long the node may take to start (default 60 s; about 6–8 s on a quiet machine). */
  readonly startTimeout?: Duration.DurationInput
}

/** A running throw-away broker. */
export interface Broker {
  /** `amqp://writeback:<password>@127.0.0.1:<port>/`, a secret like any broker URL. */
  readonly url: string
  readonly port: number
  readonly user: string
  readonly password: string
  /** The temp dir holding the node's data, logs and config; removed with the scope. */
  readonly dir: string
  /** Stops the node (SIGTERM, its own orderly shutdown) and starts it again, same data. */
  readonly restart: Effect.Effect<void, BrokerTestbedError>
}

const toError = (error: { readonly message: string }) =>
  new BrokerTestbedError({ message: error.message })

interface Node {
  readonly tools: RabbitTools
  readonly dir: string
  readonly port: number
  readonly distPort: number
  readonly epmdPort: number
  readonly name: string
}

/** The scripts read everything from the environment; nothing of ours leaks in. */
const environment = (node: Node): Record<string, string> => ({
  HOME: node.dir,
  RABBITMQ_NODENAME: node.name,
  RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
  RABBITMQ_NODE_PORT: String(node.port),
  RABBITMQ_DIST_PORT: String(node.distPort),
  ERL_EPMD_PORT: String(node.epmdPort),
  ERL_EPMD_ADDRESS: "127.0.0.1",
  RABBITMQ_MNESIA_BASE: join(node.dir, "mnesia"),
  RABBITMQ_LOG_BASE: join(node.dir, "log"),
  RABBITMQ_CONFIG_FILE: join(node.dir, "rabbitmq.conf"),
  RABBITMQ_ENABLED_PLUGINS_FILE: join(node.dir, "enabled_plugins"),
  RABBITMQ_FEATURE_FLAGS_FILE: join(node.dir, "feature_flags")
})

/** Runs the node in `scope`, guarded by a watchdog, and waits for its start-up banner. */
const launch = (node: Node, timeout: Duration.DurationInput, scope: Scope.Scope) =>
  Effect.gen(function* () {
    const child = yield* ChildProcess.start<true>(node.tools.server, [], {
      env: environment(node),
      inheritEnv: false,
      readyWhen: (line) => (/Starting broker\.\.\. completed/.test(line) ? true : undefined),
      readyTimeout: timeout,
      stopGrace: "20 seconds"
    })
    yield* Watchdog.guard("broker-testbed", child.pid)
    return child
  }).pipe(Effect.mapError(toError), Scope.extend(scope))

/**
 * Starts a broker for the length of the scope. Its `epmd` is a child of ours too (the node
 * would otherwise start one as a daemon that outlives everything).
 */
export const scoped = (
  options: Options = {}
): Effect.Effect<Broker, BrokerTestbedError, Scope.Scope | CommandExecutor.CommandExecutor> =>
  Effect.gen(function* () {
    const tools = yield* ensureRabbit(options.install ?? true)
    const dir = yield* Effect.acquireRelease(
      Effect.promise(() => mkdtemp(join(tmpdir(), "broker-testbed-"))),
      (path) => Effect.promise(() => rm(path, { recursive: true, force: true }))
    )
    const [port = 0, distPort = 0, epmdPort = 0] = yield* Ports.freeMany(3)
    const user = "writeback"
    const password = randomBytes(12).toString("hex")
    const node: Node = {
      tools,
      dir,
      port,
      distPort,
      epmdPort,
      name: `broker-testbed-${randomBytes(4).toString("hex")}@localhost`
    }
    yield* Effect.promise(async () => {
      await mkdir(join(dir, "mnesia"))
      await mkdir(join(dir, "log"))
      await writeFile(join(dir, "rabbitmq.conf"), rabbitmqConf({ port, user, password }))
      await writeFile(join(dir, "enabled_plugins"), "[].\n")
    })
    const epmd = yield* ChildProcess.start<true>(
      "sh",
      ["-c", 'exec "$0" -port "$1" -address 127.0.0.1 -d 2>&1', tools.epmd, String(epmdPort)],
      {
        inheritEnv: false,
        readyWhen: (line) => (line.includes("epmd running") ? true : undefined)
      }
    ).pipe(Effect.mapError(toError))
    yield* Watchdog.guard("broker-testbed-epmd", epmd.pid)

    const timeout: Duration.DurationInput = options.startTimeout ?? "60 seconds"
    const executor = yield* Effect.context<CommandExecutor.CommandExecutor>()
    // One scope per incarnation of the node, so restart and kill end exactly that one.
    const current = yield* Ref.make<Scope.CloseableScope | undefined>(undefined)
    const stopNode = Ref.getAndSet(current, undefined).pipe(
      Effect.flatMap((scope) => (scope === undefined ? Effect.void : Scope.close(scope, Exit.void)))
    )
    const startNode = Effect.gen(function* () {
      const scope = yield* Scope.make()
      yield* launch(node, timeout, scope).pipe(
        Effect.provide(executor),
        Effect.onError(() => Scope.close(scope, Exit.void))
      )
      yield* Ref.set(current, scope)
    })
    yield* Effect.addFinalizer(() => stopNode)
    yield* startNode

    return {
      url: `amqp://${user}:${password}@127.0.0.1:${port}/`,
      port,
      user,
      password,
      dir,
      restart: Effect.zipRight(stopNode, startNode)
    } satisfies Broker
  })

/** The started broker, for suites that share one through `it.layer`. */
export class BrokerTestbed extends Context.Tag("@dfo-writeback/broker-testbed/BrokerTestbed")<
  BrokerTestbed,
  Broker
>() {}

export const layer = (options: Options = {}): Layer.Layer<BrokerTestbed, BrokerTestbedError> =>
  Layer.scoped(BrokerTestbed, scoped(options)).pipe(Layer.provide(ChildProcess.layer))
