import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { toCanonicalJson } from "@dfo-writeback/contract"
import { DfoEmployees } from "@dfo-writeback/dfo-api"
import { keyFields } from "@dfo-writeback/domain"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import {
  ConfigSource,
  LogFormat,
  Telemetry,
  Writeback,
  WritebackConfig
} from "@dfo-writeback/writeback"
import { Config, Effect, Layer, Option } from "effect"
import { settingsHelp } from "./Help.js"
import * as MetricsFile from "./MetricsFile.js"
import { runWriteback } from "./RunCommand.js"

const keyField = Options.choice("key-field", keyFields).pipe(
  Options.withDescription("the Portal LDAP attribute to find one user by"),
  Options.optional
)
const keyValue = Options.text("key-value").pipe(
  Options.withDescription("the value to look up (matched literally, never as a pattern)"),
  Options.optional
)
const processAll = Options.boolean("process-all").pipe(
  Options.withDescription("examine every idautoPerson entry under the base DN")
)
const logOnly = Options.boolean("log-only").pipe(
  Options.withDescription("plan and report WOULD_UPDATE, write nothing")
)
const maxUpdates = Options.integer("max-updates").pipe(
  Options.withDescription(
    "a full run writes nothing if it plans more updates than this (0: WRITEBACK_MAX_UPDATES only)"
  ),
  Options.withDefault(0)
)
const metricsFile = Options.text("metrics-file").pipe(
  Options.withDescription(
    "when the run ends, write its metrics (Prometheus text) to this file for node_exporter's textfile collector"
  ),
  Options.optional
)
const json = Options.boolean("json").pipe(
  Options.withDescription(
    "print one WritebackEvent a line in protobuf canonical JSON on stdout (logs stay on stderr)"
  )
)

/** Read together, so one message names every configuration problem. */
const settings = (write: (line: string) => void) =>
  Config.all({
    logging: LogFormat.OptionsConfig(write),
    writeback: WritebackConfig.WritebackSettingsConfig,
    ldap: PortalDirectory.config,
    dfo: DfoEmployees.config,
    telemetry: Telemetry.config
  })

/**
 * The program's services over the real LDAP and DFØ, the configured logger, metrics and
 * traces; with `metricsFile`, the run's metrics are written there when it ends.
 */
const services = (metricsFile: string | undefined) => (write: (line: string) => void) =>
  Layer.unwrapEffect(
    Effect.map(settings(write), (all) =>
      Layer.merge(
        Telemetry.instrument.pipe(
          Layer.provide(Writeback.layer),
          Layer.provide(
            Layer.mergeAll(
              PortalDirectory.layer(all.ldap),
              DfoEmployees.layer(all.dfo),
              WritebackConfig.layer(all.writeback)
            )
          )
        ),
        metricsFile === undefined ? Layer.empty : MetricsFile.layer(metricsFile)
      ).pipe(
        Layer.provide(Telemetry.layer(all.telemetry)),
        Layer.provideMerge(LogFormat.layer(all.logging))
      )
    )
  )

const run = Command.make(
  "run",
  { keyField, keyValue, processAll, logOnly, maxUpdates, json, metricsFile },
  (flags) =>
    runWriteback(
      {
        keyField: Option.getOrUndefined(flags.keyField),
        keyValue: Option.getOrElse(flags.keyValue, () => ""),
        processAll: flags.processAll,
        logOnly: flags.logOnly,
        maxUpdates: flags.maxUpdates,
        json: flags.json
      },
      {
        configProvider: ConfigSource.fromEnvironment(process.env),
        services: services(Option.getOrUndefined(flags.metricsFile)),
        encode: toCanonicalJson
      }
    ).pipe(Effect.flatMap((code) => Effect.sync(() => void (process.exitCode = code))))
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p(
        "Writes eksternIdent, epost and (optionally) brukerident from the Portal LDAP to DFØ, " +
          "for one user (--key-field and --key-value) or every user (--process-all)."
      ),
      HelpDoc.p(
        "Exit codes: 0 done, no user failed; 1 some user failed or the run aborted; " +
          "2 run failed (LDAP connection, configuration, mass-update guard); " +
          "3 key not found or ambiguous; 64 usage error."
      )
    ])
  )
)

const writeback = Command.make("writeback").pipe(
  Command.withDescription(settingsHelp),
  Command.withSubcommands([run])
)

const cli = Command.run(writeback, { name: "writeback", version: "0.1.0" })

cli(process.argv).pipe(
  Effect.catchIf(ValidationError.isValidationError, () =>
    Effect.sync(() => void (process.exitCode = 64))
  ),
  Effect.provide(NodeContext.layer),
  // Logs are the configured JSON or text lines on stderr, never the pretty default.
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
