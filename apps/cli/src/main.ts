import { Args, CliConfig, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { DfoEmployees, DfoSettings } from "@dfo-writeback/dfo-api"
import { AttributeMappingConfig, ConfiguredMapping, keyFields } from "@dfo-writeback/domain"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import { ConfigSource, LogFormat, Telemetry } from "@dfo-writeback/edge"
import {
  Plan,
  PlanRender,
  RunTelemetry,
  Writeback,
  WritebackConfig
} from "@dfo-writeback/writeback"
import { Cause, Config, type Console, Effect, Exit, Layer, Option } from "effect"
import { createRequire } from "node:module"
import * as Argv from "./Argv.js"
import * as Caller from "./Caller.js"
import { catalogue } from "./Catalogue.js"
import * as Check from "./CheckCommand.js"
import * as ConfigCommand from "./ConfigCommand.js"
import { ExitCode } from "./ExitCode.js"
import { settingsHelp, usage } from "./Help.js"
import * as MetricsFile from "./MetricsFile.js"
import { applyPlan, planWriteback } from "./PlanCommand.js"
import * as Report from "./Report.js"
import { report as reportCommand } from "./ReportCommand.js"
import { type Loaded, runWriteback } from "./RunCommand.js"

const keyField = Options.choice("key-field", keyFields).pipe(
  Options.withDescription(
    "the Portal LDAP attribute to find one user by (employee-id: by numeric value, 30202 finds 00030202)"
  ),
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
    "when a full run (not --log-only) ends, write its metrics (Prometheus text) to this file for node_exporter's textfile collector; a regular file or a new path in a writable directory"
  ),
  Options.optional
)
const configJson = Options.boolean("json").pipe(
  Options.withDescription("print one JSON object a line: name, value, source (and file)")
)
const json = Options.boolean("json").pipe(
  Options.withDescription(
    "print one WritebackEvent a line in protobuf canonical JSON on stdout (logs stay on stderr)"
  )
)

/** Read together, so one message names every configuration problem. */
const settings = Config.all({
  logging: LogFormat.OptionsConfig(() => undefined),
  // Read once here: the directory and the rules both take it from ConfiguredMapping.
  mapping: AttributeMappingConfig,
  writeback: WritebackConfig.WritebackSettingsConfig,
  ldap: PortalDirectory.config,
  dfo: DfoEmployees.config,
  telemetry: Telemetry.config
})

/**
 * The settings, and the program's services over the real LDAP and DFØ with metrics and
 * traces; with `metricsFile`, the run's metrics are written there when it ends.
 */
const load = (
  env: Readonly<Record<string, string | undefined>>,
  metricsFile: string | undefined
): Effect.Effect<Loaded, ConfigSource.ConfigFileError> =>
  Effect.map(ConfigSource.read(catalogue, settings, env), (all) => ({
    logging: { level: all.logging.level, format: all.logging.format },
    requestTimeoutMs: all.dfo.timeoutMs ?? DfoSettings.settings.timeoutMs.default,
    plan: Plan.reviewOf({
      baseUrl: all.dfo.baseUrl,
      mapping: all.mapping,
      rules: all.writeback.rules,
      maxAgeHours: all.writeback.planMaxAgeHours
    }),
    services: Layer.merge(
      RunTelemetry.instrument.pipe(
        Layer.provide(Writeback.layer),
        Layer.provide(
          Layer.mergeAll(
            PortalDirectory.layerMapped(all.ldap),
            DfoEmployees.layer(all.dfo),
            WritebackConfig.layerMapped(all.writeback)
          ).pipe(Layer.provide(ConfiguredMapping.layer(all.mapping)))
        )
      ),
      metricsFile === undefined ? Layer.empty : MetricsFile.layer(metricsFile)
    ).pipe(Layer.provide(Telemetry.layer(all.telemetry)))
  })).pipe(Effect.tap(() => metricsFileUsable(metricsFile)))

/** A metrics file that could not be written is a configuration problem, found before the run. */
const metricsFileUsable = (file: string | undefined) =>
  file === undefined
    ? Effect.void
    : Effect.flatMap(MetricsFile.problem(file), (problem) =>
        problem === undefined
          ? Effect.void
          : Effect.fail(new ConfigSource.ConfigFileError({ problems: [problem] }))
      )

/**
 * The textfile is the nightly full run's: a single-user run or a dry run writing it would
 * replace the night's figures (issue #20), so those ignore `--metrics-file`, with a note.
 */
const metricsFileFor = (flags: {
  readonly processAll: boolean
  readonly logOnly: boolean
  readonly metricsFile: Option.Option<string>
}): string | undefined => {
  if (Option.isNone(flags.metricsFile) || (flags.processAll && !flags.logOnly)) {
    return Option.getOrUndefined(flags.metricsFile)
  }
  process.stderr.write(
    "writeback: --metrics-file ignored: only a full run that writes (--process-all without --log-only) writes it\n"
  )
  return undefined
}

const logFile = Options.text("log-file").pipe(
  Options.withDescription(
    "append every log line here instead of stderr (on a terminal, stderr shows only warnings and errors)"
  ),
  Options.optional
)

const preflight = Argv.preflight(process.argv)
/** `--log-level` wins over `LOG_LEVEL`. */
const environment =
  preflight.logLevel === undefined ? process.env : { ...process.env, LOG_LEVEL: preflight.logLevel }

/**
 * The protobuf code behind `--json` is imported only for it: without it the CLI starts in
 * 121 MB VmHWM, 28 MB heap instead of 129 MB, 33 MB.
 */
const encoder = Effect.promise(() => import("@dfo-writeback/contract")).pipe(
  Effect.map((contract) => contract.toCanonicalJson)
)

/** What every subcommand runs with: the configuration, and events as canonical JSON. */
const deps = (metricsFile: string | undefined) => ({
  load: load(environment, metricsFile),
  encoder,
  caller: Caller.of(process.env)
})

/** A subcommand's answer becomes the process's exit code (CONTRACT §7). */
const exitWith = <E, R>(effect: Effect.Effect<number, E, R>) =>
  Effect.flatMap(effect, (code) => Effect.sync(() => void (process.exitCode = code)))

const run = Command.make(
  "run",
  { keyField, keyValue, processAll, logOnly, maxUpdates, json, logFile, metricsFile },
  (flags) =>
    runWriteback(
      {
        keyField: Option.getOrUndefined(flags.keyField),
        keyValue: Option.getOrElse(flags.keyValue, () => ""),
        processAll: flags.processAll,
        logOnly: flags.logOnly,
        maxUpdates: flags.maxUpdates,
        json: flags.json,
        logFile: flags.logFile
      },
      deps(metricsFileFor(flags))
    ).pipe(exitWith)
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p(
        "Writes eksternIdent, epost and (optionally) brukerident from the Portal LDAP to DFØ, " +
          "for one user (--key-field and --key-value) or every user (--process-all)."
      ),
      HelpDoc.p(
        `--log-level ${Argv.logLevels.join("|")} sets the log level (wins over LOG_LEVEL).`
      ),
      HelpDoc.p(
        "SIGINT or SIGTERM stops starting users, lets writes in flight finish (at most " +
          "SAP_TIMEOUT_MS), prints the summary and exits 130 or 143; a second signal stops at once."
      ),
      HelpDoc.p(
        "Exit codes: 0 done, no user failed; 1 some user failed; " +
          "2 run failed (LDAP connection, configuration, mass-update guard, stdout or " +
          "--log-file not writable); 3 key not found or ambiguous; 4 the run aborted " +
          "(refused key, consecutive failures, DFØ unreachable, lease lost, an audit line " +
          "not written); 64 usage error; 130/143 SIGINT/SIGTERM. The last stderr line of a " +
          "run that did not end with 0 says why."
      ),
      HelpDoc.p(
        "An audit line that cannot be written (--log-file or stderr on a full disk) stops every " +
          "further write at once: the write it belongs to is not sent, the run aborts (exit 4) " +
          "and stderr names the file."
      )
    ])
  )
)

const out = Options.text("out").pipe(
  Options.withDescription("the plan file to write (JSON, CONTRACT §7)")
)
const format = Options.choice("format", PlanRender.formats).pipe(
  Options.withDescription("also render the plan for people on stdout"),
  Options.optional
)

const force = Options.boolean("force").pipe(
  Options.withDescription("replace the --out file when it exists")
)

const plan = Command.make(
  "plan",
  { keyField, keyValue, processAll, maxUpdates, json, logFile, out, force, format },
  (flags) =>
    planWriteback(
      {
        keyField: Option.getOrUndefined(flags.keyField),
        keyValue: Option.getOrElse(flags.keyValue, () => ""),
        processAll: flags.processAll,
        maxUpdates: flags.maxUpdates,
        json: flags.json,
        logFile: flags.logFile,
        out: flags.out,
        force: flags.force,
        format: flags.format
      },
      deps(undefined)
    ).pipe(exitWith)
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p(
        "Plans like `run --log-only` and writes the planned users to a plan file for review: " +
          "`writeback apply FILE` then writes exactly those changes."
      ),
      HelpDoc.p(
        "The plan file is written whole or not at all (a temporary file beside it, flushed, " +
          "then moved into place). An existing --out file is replaced only with --force; " +
          "without it the command stops before the run with usage error 64."
      ),
      HelpDoc.p("Exit codes as `run`; 2 also when the plan file cannot be written.")
    ])
  )
)

const file = Args.text({ name: "FILE" }).pipe(
  Args.withDescription("a plan file from `writeback plan`")
)

const apply = Command.make("apply", { file, maxUpdates, json, logFile }, (flags) =>
  applyPlan(
    {
      file: flags.file,
      maxUpdates: flags.maxUpdates,
      json: flags.json,
      logFile: flags.logFile
    },
    deps(undefined)
  ).pipe(exitWith)
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p(
        "Writes exactly a reviewed plan: each user is re-read in LDAP and DFØ and written only " +
          "if LDAP still derives the planned values and DFØ still holds what it held; otherwise " +
          "SKIPPED / PLAN_STALE. The mass-update guard does not apply (--max-updates bounds it)."
      ),
      HelpDoc.p(
        "A plan that is altered, older than WRITEBACK_PLAN_MAX_AGE_HOURS, made with other " +
          "settings or not a plan is refused with exit 2. Otherwise exit codes as `run`."
      )
    ])
  )
)

const check = Command.make("check", { metricsFile }, (flags) =>
  Check.check(
    { metricsFile: Option.getOrUndefined(flags.metricsFile) },
    { env: environment, settings }
  ).pipe(exitWith)
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p(
        "Tests the configuration and both connections without running: an LDAP bind and one " +
          "search, one DFØ read (GET {base}/00000000), the CA file, the plan settings and, " +
          "with --metrics-file, its directory. One line per check with its time and, on " +
          "failure, what to do; nothing is written."
      ),
      HelpDoc.p(
        "Exit codes: 0 every check passed; 2 a check failed or the configuration is invalid."
      )
    ])
  )
)

const config = Command.make("config", { json: configJson }, (flags) =>
  ConfigCommand.showConfig(flags, { env: environment, settings }).pipe(exitWith)
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p(
        "Prints the effective configuration the CLI reads: NAME, VALUE and SOURCE (environment, " +
          "a *_FILE variable, WRITEBACK_CONFIG and its file, default, unset); every secret as " +
          "<redacted>. The server's own settings (GRPC_*, METRICS_LISTEN, WRITEBACK_MAX_RUN_MS) are left out."
      ),
      HelpDoc.p("Exit codes: 0 printed; 2 the configuration is invalid (every problem listed).")
    ])
  )
)

const reportOut = Options.text("out").pipe(
  Options.withDescription(
    "the report file to write; - writes it to stdout (and nothing else there)"
  )
)
const reportFormat = Options.choice("format", Report.formats).pipe(
  Options.withDescription("csv (the default; safe to open in a spreadsheet), markdown or json"),
  Options.withDefault("csv" as const)
)
const reasons = Options.text("reasons").pipe(
  Options.withDescription(
    `list only these, comma-separated: ${Report.reasons.join(", ")} (default: all)`
  ),
  Options.withDefault("")
)

const report = Command.make(
  "report",
  { processAll, reasons, format: reportFormat, out: reportOut, force, logFile },
  (flags) => reportCommand(flags, deps(undefined)).pipe(exitWith)
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p(
        "Lists every skipped or failed user of a full dry run for people: username, employee " +
          "id, reason (a skip reason or SAP_FETCH_FAILED / SAP_UPDATE_FAILED), message and " +
          "idautoID, sorted by username, then employee id; then totals (listed users per " +
          "reason, the run's counts). Nothing is written to DFØ, whatever SAP_READ_ONLY says."
      ),
      HelpDoc.p(
        "Values are written with control characters escaped; in CSV a value a spreadsheet " +
          "would take for a formula (starting with =, +, -, @, TAB or CR) starts with '. " +
          "The CSV's totals follow the users after one empty line, as a block total,count."
      ),
      HelpDoc.p(
        "The file is written whole or not at all; an existing --out file is replaced only " +
          "with --force (without it: usage error 64, before the run)."
      ),
      HelpDoc.p(
        "Exit codes: 0 the report was written (whatever it lists); 2 the run failed (LDAP, " +
          "configuration, mass-update guard) or the report could not be written; 4 the run " +
          "aborted: no report is written, since a partial list would read as the whole one; " +
          "64 usage error (an unknown reason names the nearest one)."
      )
    ])
  )
)

/** `writeback` alone is a usage error: it says how to run, and exits 64. */
const writeback = Command.make("writeback", {}, () =>
  Effect.sync(() => {
    process.stderr.write(`${usage}\n`)
    process.exitCode = 64
  })
).pipe(
  Command.withDescription(settingsHelp),
  Command.withSubcommands([run, plan, apply, check, config, report])
)

const { version } = createRequire(import.meta.url)("../package.json") as { version: string }

const cli = Command.run(writeback, { name: "writeback", version })

/** No colour (help is printed with ANSI styles) when stdout is no terminal or NO_COLOR is set. */
const plain = process.stdout.isTTY !== true || (process.env["NO_COLOR"] ?? "") !== ""
// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "")
const strip = (args: ReadonlyArray<unknown>) =>
  args.map((arg) => (typeof arg === "string" ? stripAnsi(arg) : arg))
const withoutAnsi = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.consoleWith((current) =>
    Effect.withConsole(effect, {
      ...current,
      log: (...args) => current.log(...strip(args)),
      error: (...args) => current.error(...strip(args))
    } satisfies Console.Console)
  )

const main =
  preflight.problems.length > 0
    ? Effect.sync(() => {
        process.stderr.write(`writeback: ${preflight.problems.join("; ")}\n${usage}\n`)
        process.exitCode = 64
      })
    : cli(preflight.argv).pipe(
        Effect.catchIf(ValidationError.isValidationError, () =>
          Effect.sync(() => void (process.exitCode = 64))
        ),
        // Built-ins are not listed: --wizard and --completions are refused, --log-level is
        // ours; the description names --help and --version.
        Effect.provide(Layer.merge(NodeContext.layer, CliConfig.layer({ showBuiltIns: false }))),
        plain ? withoutAnsi : (effect) => effect
      )

// Not NodeRuntime.runMain: it interrupts the program on the first SIGINT/SIGTERM, while a
// run must stop gracefully (RunCommand installs its own handlers for the run's duration).
Effect.runFork(main).addObserver((exit) => {
  if (Exit.isFailure(exit)) {
    process.stderr.write(`writeback: unexpected failure: ${Cause.pretty(exit.cause)}\n`)
    process.exitCode = ExitCode.RunFailed
  }
  // The run, its output and its files are done: timers left behind (an OTLP exporter
  // retrying a collector that is down) must not hold the exit. Writes to stdout and
  // stderr are synchronous on Linux, so nothing printed is lost.
  process.exit()
})
