import { Args, Command, HelpDoc, Options } from "@effect/cli"
import { DfoEmployees, DfoSettings } from "@dfo-writeback/dfo-api"
import {
  AttributeMappingConfig,
  ConfiguredMapping,
  type KeyField,
  keyFields
} from "@dfo-writeback/domain"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import { ConfigSource, LogFormat, Telemetry } from "@dfo-writeback/edge"
import { Lease, LeaseConfig } from "@dfo-writeback/lease"
import { Plan, RunTelemetry, Writeback, WritebackConfig } from "@dfo-writeback/writeback"
import { Cause, Config, Effect, Either, Exit, Layer, Option } from "effect"
import { createRequire } from "node:module"
import * as Argv from "./Argv.js"
import * as Caller from "./Caller.js"
import * as ChangedSince from "./ChangedSince.js"
import { catalogue } from "./Catalogue.js"
import * as Check from "./CheckCommand.js"
import * as CommandLine from "./CommandLine.js"
import * as ConfigCommand from "./ConfigCommand.js"
import * as Declaration from "./Declaration.js"
import { ExitCode } from "./ExitCode.js"
import * as Help from "./Help.js"
import * as MetricsFile from "./MetricsFile.js"
import { applyPlan, planWriteback } from "./PlanCommand.js"
import * as PlanReview from "./PlanReview.js"
import * as Report from "./Report.js"
import { report as reportCommand } from "./ReportCommand.js"
import { type Loaded, runWriteback } from "./RunCommand.js"

// Each option's description is one line of its command's help (`Help`): short, the rest
// in the command's notes or the README.
const keyField = Options.choice("key-field", keyFields).pipe(
  Options.withDescription("the attribute to find one user by (employee-id: 30202 finds 00030202)"),
  Options.optional
)
const keyValue = Options.text("key-value").pipe(
  Options.withPseudoName("V"),
  Options.withDescription("the value to find (matched literally, never as a pattern)"),
  Options.optional
)
const processAll = Options.boolean("process-all").pipe(
  Options.withDescription("every idautoPerson entry under the base DN")
)
const changedSince = Options.text("changed-since").pipe(
  Options.withPseudoName("DURATION"),
  Options.withDescription("only entries changed within it: 90s, 15m, 2h, 1d"),
  Options.optional
)
const logOnly = Options.boolean("log-only").pipe(
  Options.withDescription("plan and report WOULD_UPDATE, write nothing")
)
const maxUpdates = Options.integer("max-updates").pipe(
  Options.withPseudoName("N"),
  Options.withDescription("write nothing if more are planned (0: WRITEBACK_MAX_UPDATES)"),
  Options.withDefault(0)
)
const metricsFile = Options.text("metrics-file").pipe(
  Options.withPseudoName("PATH"),
  Options.withDescription(
    "a full run that writes leaves its metrics here (node_exporter's textfile collector)"
  ),
  Options.optional
)
const configJson = Options.boolean("json").pipe(
  Options.withDescription("one JSON object a line: name, value, source (and file)")
)
const json = Options.boolean("json").pipe(
  Options.withDescription("one WritebackEvent a line (protobuf JSON) on stdout")
)

/** Read together, so one message names every configuration problem. */
const settings = Config.all({
  logging: LogFormat.OptionsConfig(() => undefined),
  // Read once here: the directory and the rules both take it from ConfiguredMapping.
  mapping: AttributeMappingConfig,
  writeback: WritebackConfig.WritebackSettingsConfig,
  ldap: PortalDirectory.config,
  dfo: DfoEmployees.config,
  telemetry: Telemetry.config,
  lease: LeaseConfig.config
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
    lease: Lease.fromSettings(all.lease, Lease.defaultIdentity(env), Lease.inCluster(env)),
    readOnly: all.writeback.readOnly,
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
 * The textfile is the nightly full run's: a single-user run, an incremental run or a dry
 * run writing it would replace the night's figures (issue #20), so those ignore
 * `--metrics-file`, with a note.
 */
const metricsFileFor = (flags: {
  readonly processAll: boolean
  readonly logOnly: boolean
  readonly changedSince: Option.Option<string>
  readonly metricsFile: Option.Option<string>
}): string | undefined => {
  const fullRun = flags.processAll && !flags.logOnly && Option.isNone(flags.changedSince)
  if (Option.isNone(flags.metricsFile) || fullRun) {
    return Option.getOrUndefined(flags.metricsFile)
  }
  process.stderr.write(
    "writeback: --metrics-file ignored: only a full run that writes (--process-all without --log-only or --changed-since) writes it\n"
  )
  return undefined
}

const logFile = Options.text("log-file").pipe(
  Options.withPseudoName("FILE"),
  Options.withDescription(
    "append every log line here (default: stderr; on a terminal ~/.local/state/dfo-writeback/writeback.log)"
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

/** What every subcommand runs with: the configuration, events as canonical JSON, its usage. */
const deps = (command: string, metricsFile: string | undefined) => ({
  load: load(environment, metricsFile),
  encoder,
  caller: Caller.of(process.env),
  usage: usageFor(command)
})

/**
 * `--changed-since` read into seconds (0 without it) before `command` runs; a duration it
 * cannot read is a usage error in words (exit 64).
 */
const windowed = <E, R>(
  command: string,
  text: Option.Option<string>,
  f: (changedSinceSeconds: number) => Effect.Effect<number, E, R>
): Effect.Effect<number, E, R> =>
  Option.match(text, {
    onNone: () => f(0),
    onSome: (given) =>
      Either.match(ChangedSince.parse(given), {
        onRight: f,
        onLeft: (problem) =>
          Effect.sync(() => {
            process.stderr.write(`writeback ${command}: ${problem}\n${usageFor(command)}\n`)
            return ExitCode.Usage
          })
      })
  })

/** What `run` and `plan` ask for, from the flags they share. */
const requestOf = (
  flags: {
    readonly keyField: Option.Option<KeyField>
    readonly keyValue: Option.Option<string>
    readonly processAll: boolean
    readonly maxUpdates: number
    readonly json: boolean
    readonly logFile: Option.Option<string>
  },
  changedSinceSeconds: number
) => ({
  keyField: Option.getOrUndefined(flags.keyField),
  keyValue: Option.getOrElse(flags.keyValue, () => ""),
  processAll: flags.processAll,
  changedSinceSeconds,
  maxUpdates: flags.maxUpdates,
  json: flags.json,
  logFile: flags.logFile
})

/** A subcommand's answer becomes the process's exit code (CONTRACT §7). */
const exitWith = <E, R>(effect: Effect.Effect<number, E, R>) =>
  Effect.flatMap(effect, (code) => Effect.sync(() => void (process.exitCode = code)))

const exitCodes =
  "Exit codes: 0 done, no user failed; 1 some user failed; 2 run failed (configuration, " +
  "LDAP connection, mass-update guard, output not writable); 3 key not found or ambiguous; " +
  "4 aborted (refused key, consecutive failures, DFØ unreachable, lease lost, an audit line " +
  "not written); 64 usage error; 130/143 SIGINT/SIGTERM. On failure the last stderr line says why."

// The first paragraph of a description is the command's line in `writeback --help`.
const run = Command.make(
  "run",
  { keyField, keyValue, processAll, changedSince, logOnly, maxUpdates, json, logFile, metricsFile },
  (flags) =>
    windowed("run", flags.changedSince, (changedSinceSeconds) =>
      runWriteback(
        { ...requestOf(flags, changedSinceSeconds), logOnly: flags.logOnly },
        deps("run", metricsFileFor(flags))
      )
    ).pipe(exitWith)
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p("write eksternIdent, epost (and brukerident) to DFØ: one user, or all"),
      HelpDoc.p(
        "SIGINT or SIGTERM stops starting users, lets writes in flight finish (at most " +
          "SAP_TIMEOUT_MS), prints the summary and exits 130 or 143; a second signal stops at once " +
          "and lists the writes it cut (outcome unknown, check DFØ)."
      ),
      HelpDoc.p(exitCodes)
    ])
  )
)

const out = Options.text("out").pipe(
  Options.withPseudoName("FILE"),
  Options.withDescription("the plan file to write (JSON)")
)
const format = Options.choice("format", PlanReview.formats).pipe(
  Options.withDescription(
    "render the plan for people (rows by username, then totals): alone on stdout, or to --review FILE (default there: csv)"
  ),
  Options.optional
)
const review = Options.text("review").pipe(
  Options.withDescription("write the review to this file (- for stdout alone)"),
  Options.optional
)
const comment = Options.text("comment").pipe(
  Options.withDescription(
    `stored in the plan under its digest (a ticket, a reviewer; one line, at most ${Plan.maxCommentLength} characters)`
  ),
  Options.optional
)

const force = Options.boolean("force").pipe(
  Options.withDescription("replace the --out file when it exists")
)

const plan = Command.make(
  "plan",
  {
    keyField,
    keyValue,
    processAll,
    changedSince,
    maxUpdates,
    json,
    logFile,
    out,
    force,
    format,
    review,
    comment
  },
  (flags) =>
    windowed("plan", flags.changedSince, (changedSinceSeconds) =>
      planWriteback(
        {
          ...requestOf(flags, changedSinceSeconds),
          out: flags.out,
          force: flags.force,
          format: flags.format,
          review: flags.review,
          comment: flags.comment
        },
        deps("plan", undefined)
      )
    ).pipe(exitWith)
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p("plan like run --log-only and write the plan to a file for review"),
      HelpDoc.p(
        "`writeback apply FILE` then writes exactly those changes. The file is written whole " +
          "or not at all; --force replaces an existing one (else usage error 64)."
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
    deps("apply", undefined)
  ).pipe(exitWith)
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p("write exactly a reviewed plan, each user re-read first"),
      HelpDoc.p(
        "A user is written only if LDAP still derives the planned values and DFØ still holds " +
          "what it held; otherwise SKIPPED / PLAN_STALE. The mass-update guard does not apply " +
          "(--max-updates bounds it)."
      ),
      HelpDoc.p(
        "A plan altered, older than WRITEBACK_PLAN_MAX_AGE_HOURS, made with other settings or " +
          "not a plan is refused with exit 2. Otherwise exit codes as `run`."
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
      HelpDoc.p("test the configuration and both connections; writes nothing"),
      HelpDoc.p(
        "An LDAP bind and one search, one DFØ read (GET {base}/00000000), the CA file, the " +
          "plan settings and, with --metrics-file, its directory: one line per check with " +
          "its time and, on failure, what to do."
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
      HelpDoc.p("print the effective configuration and where each value came from"),
      HelpDoc.p(
        "NAME, VALUE and SOURCE (environment, a *_FILE variable, WRITEBACK_CONFIG and its " +
          "file, default, unset); every secret as <redacted>. Exit codes: 0 printed; 2 the " +
          "configuration is invalid (every problem listed)."
      )
    ])
  )
)

const reportOut = Options.text("out").pipe(
  Options.withPseudoName("FILE"),
  Options.withDescription("the report file to write; - writes it to stdout alone")
)
const reportFormat = Options.choice("format", Report.formats).pipe(
  Options.withDescription("csv (the default; safe in a spreadsheet), markdown or json"),
  Options.withDefault("csv" as const)
)
const reasons = Options.text("reasons").pipe(
  Options.withPseudoName("R,…"),
  Options.withDescription(`list only these (default: all): ${Report.reasons.join(", ")}`),
  Options.withDefault("")
)

const report = Command.make(
  "report",
  { processAll, changedSince, reasons, format: reportFormat, out: reportOut, force, logFile },
  (flags) =>
    windowed("report", flags.changedSince, (changedSinceSeconds) =>
      reportCommand({ ...flags, changedSinceSeconds }, deps("report", undefined))
    ).pipe(exitWith)
).pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p("list the skipped and failed users of a dry run for people"),
      HelpDoc.p(
        "Username, employee id, reason, message and idautoID, sorted by username, then the " +
          "totals. Nothing is written to DFØ. Values are written with control characters " +
          "escaped; in CSV a value a spreadsheet would take for a formula starts with '. " +
          "The file is written whole or not at all; an existing one is replaced only with --force."
      ),
      HelpDoc.p(
        "Exit codes: 0 the report was written; 2 the run failed or the report could not be " +
          "written; 4 the run aborted (no report: a partial list would read as the whole); " +
          "64 usage error."
      )
    ])
  )
)

/** In the order `writeback --help` lists them; each one's help is read from it. */
const subcommands = [run, plan, apply, check, config, report] as const

/** `writeback` alone is a usage error: it says how to run, and exits 64. */
const writeback = Command.make("writeback", {}, () =>
  Effect.sync(() => {
    process.stderr.write(`${Help.usageAll(program)}\n`)
    process.exitCode = ExitCode.Usage
  })
).pipe(Command.withSubcommands(subcommands))

const { version } = createRequire(import.meta.url)("../package.json") as { version: string }

/** Exactly one of each alternative: who a run is for. */
const selection = [["--key-field", "--key-value"], ["--process-all"]]

/** What the help adds to a declaration: alternatives of options, and `config`'s settings. */
const helpExtras: Readonly<
  Record<string, Partial<Pick<Declaration.CommandDoc, "oneOf" | "appendix">>>
> = {
  run: { oneOf: selection },
  plan: { oneOf: selection },
  config: { appendix: Help.cliSettings() },
  report: { oneOf: [["--process-all"]] }
}

/** The help and the usage errors, read from the declarations above. */
const program: Help.Program = {
  name: "writeback",
  version,
  summary: `writeback ${version}: writes identifiers from the Portal LDAP back to DFØ's employee API.`,
  notes: [
    "Settings come from the environment and WRITEBACK_CONFIG: `writeback config --help` " +
      "lists them, `writeback config` shows their values and sources. The server's own " +
      "settings: `writeback-server --help`.",
    "Exit codes: 0 done; 1 some user failed; 2 run failed; 3 key not found or ambiguous; " +
      "4 the run aborted; 64 usage error; 130/143 SIGINT/SIGTERM. `writeback COMMAND --help` " +
      "says more."
  ],
  commands: subcommands.map((command) => {
    const declared = Declaration.read(command)
    return { ...declared, ...helpExtras[declared.name] }
  })
}

function usageFor(name: string): string {
  const command = program.commands.find((candidate) => candidate.name === name)
  return command === undefined ? Help.usageAll(program) : Help.usageOf(program, command)
}

const cli = Command.run(writeback, { name: "writeback", version })

const main = CommandLine.start({ program, root: writeback, preflight, cli })

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
