/**
 * `writeback-server`: reads every setting at once, builds the writeback program over the
 * Portal LDAP and DFØ, and serves it over gRPC (and, with `EVENTS_AMQP_URL`, to the event
 * consumer) until SIGTERM/SIGINT, which drains the server and exits 0. Invalid configuration exits 2 with one line listing every problem.
 */
import { DfoEmployees } from "@dfo-writeback/dfo-api"
import { AttributeMappingConfig, ConfiguredMapping } from "@dfo-writeback/domain"
import { EventsConfig } from "@dfo-writeback/events"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import { ConfigSource, LogFormat, Settings, Telemetry } from "@dfo-writeback/edge"
import { Lease, LeaseConfig } from "@dfo-writeback/lease"
import { Plan, RunTelemetry, Writeback, WritebackConfig } from "@dfo-writeback/writeback"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Config, Effect, Exit, Layer, LogLevel, Option } from "effect"
import { createRequire } from "node:module"
import { catalogue, serverOwn } from "./Catalogue.js"
import * as EventRun from "./EventRun.js"
import * as GrpcServer from "./GrpcServer.js"
import * as MetricsServer from "./MetricsServer.js"
import * as ServerConfig from "./ServerConfig.js"

const write = (line: string) => void process.stdout.write(`${line}\n`)

/** Read together, so one start-up message names every problem across all of them. */
const settings = Config.all({
  server: ServerConfig.config,
  metrics: MetricsServer.config,
  telemetry: Telemetry.config,
  logging: LogFormat.OptionsConfig(write),
  // Read once here: the directory and the rules both take it from ConfiguredMapping.
  mapping: AttributeMappingConfig,
  writeback: WritebackConfig.WritebackSettingsConfig,
  ldap: PortalDirectory.config,
  dfo: DfoEmployees.config,
  events: EventsConfig.config,
  lease: LeaseConfig.config
})

/** The event consumer when `EVENTS_AMQP_URL` is set (CONTRACT §8), over the same program. */
const events = (
  all: Config.Config.Success<typeof settings>
): Layer.Layer<never, never, Writeback.Service> =>
  Option.match(all.events, { onNone: () => Layer.empty, onSome: EventRun.layer })

const serve = (all: Config.Config.Success<typeof settings>) =>
  Layer.launch(
    GrpcServer.layer({
      ...all.server,
      plan: Plan.reviewOf({
        baseUrl: all.dfo.baseUrl,
        mapping: all.mapping,
        rules: all.writeback.rules,
        maxAgeHours: all.writeback.planMaxAgeHours
      }),
      // Kubernetes only as a pod reaches it (CONTRACT §8): no setting points it elsewhere.
      lease: Lease.fromSettings(
        all.lease,
        Lease.defaultIdentity(process.env),
        Lease.inCluster(process.env)
      ),
      readOnly: all.writeback.readOnly
    }).pipe(
      Layer.provide(events(all)),
      // Every run counted in /metrics and traced as a `Writeback.run` span.
      Layer.provide(RunTelemetry.instrument),
      Layer.provide(Writeback.layer),
      Layer.provide(
        Layer.mergeAll(
          PortalDirectory.layerMapped(all.ldap),
          DfoEmployees.layer(all.dfo),
          WritebackConfig.layerMapped(all.writeback)
        ).pipe(Layer.provide(ConfiguredMapping.layer(all.mapping)))
      ),
      // /metrics answers before the server says it is listening (its exporter loads first).
      Layer.provide(MetricsServer.layer(all.metrics))
    )
  ).pipe(
    Effect.tapError((error) => Effect.logError(`start-up failed: ${error.message}`)),
    // Outside the launch, so spans still open at shutdown are flushed after the drain.
    Effect.provide(Telemetry.layer(all.telemetry)),
    Effect.provide(LogFormat.layer(all.logging))
  )

/** Before the configured logger exists, start-up problems are logged as JSON at error level. */
const reportConfigProblems = (problems: ReadonlyArray<string>) =>
  Effect.logError(`invalid configuration: ${problems.join("; ")}`).pipe(
    Effect.annotateLogs("problems", problems),
    Effect.provide(LogFormat.layer({ format: "json", level: LogLevel.Info, write }))
  )

const main = Effect.gen(function* () {
  const all = yield* ConfigSource.read(catalogue, settings, process.env).pipe(
    Effect.tapError((error) => reportConfigProblems(error.problems))
  )
  return yield* serve(all)
})

const { version } = createRequire(import.meta.url)("../package.json") as { version: string }

const help = `writeback-server ${version}: serves dfo.writeback.v1.WritebackService over gRPC, with
grpc.health.v1.Health (no token needed) and server reflection. SIGTERM drains it and it exits 0;
invalid configuration exits 2.

usage: writeback-server [--help | --version]

Settings come from the environment (and WRITEBACK_CONFIG). The server's own:
${Settings.helpText(catalogue, serverOwn)}

Shared with the CLI (\`writeback config\` shows their values and sources):
${Settings.helpText(catalogue, (setting) => !serverOwn(setting))}
`

const args = process.argv.slice(2)
const [arg] = args

const program =
  arg === "--help" || arg === "-h"
    ? Effect.sync(() => void process.stdout.write(help))
    : arg === "--version"
      ? Effect.sync(() => void process.stdout.write(`${version}\n`))
      : arg !== undefined
        ? Effect.sync(() => {
            process.stderr.write(
              `writeback-server: unknown argument ${JSON.stringify(arg)}\nusage: writeback-server [--help | --version]\n`
            )
            process.exitCode = 64
          })
        : main

program.pipe(
  Effect.catchAllDefect((defect) =>
    Effect.logFatal("writeback-server crashed", Cause.die(defect)).pipe(
      Effect.provide(LogFormat.layer({ format: "json", level: LogLevel.Info, write })),
      Effect.zipRight(Effect.die(defect))
    )
  ),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    disablePrettyLogger: true,
    // 2: the server could not start (configuration, TLS files, address in use); a signal's
    // interruption is a clean stop.
    teardown: (exit, onExit) =>
      onExit(Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause) ? 2 : 0)
  })
)
