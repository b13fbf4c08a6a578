/**
 * `writeback check` (CONTRACT §7): tests the configuration and both connections without
 * running. Every check runs, whatever the others found; each prints one line with its time
 * and, when it fails, what to do. No check writes to DFØ.
 */
import { DfoEmployees } from "@dfo-writeback/dfo-api"
import {
  AttributeMappingConfig,
  keyRefusalAdvice,
  type LdapConnectionError,
  type SapFetchError
} from "@dfo-writeback/domain"
import { ConfigSource, LogFormat } from "@dfo-writeback/edge"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import { Plan, WritebackConfig } from "@dfo-writeback/writeback"
import { Config, Duration, Effect, Either, Option, Redacted, Stream } from "effect"
import { X509Certificate } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { ExitCode } from "./ExitCode.js"
import * as InvalidConfiguration from "./InvalidConfiguration.js"
import * as MetricsFile from "./MetricsFile.js"
import { catalogue } from "./Catalogue.js"

/** What one check found; `fix` says what to do when it failed. */
interface Finding {
  readonly ok: boolean
  readonly detail: string
  readonly fix?: string
}

interface Line extends Finding {
  readonly name: string
  readonly ms: number
}

export interface CheckFlags {
  readonly metricsFile: string | undefined
}

export interface CheckDeps {
  readonly env: Readonly<Record<string, string | undefined>>
  /** Everything the CLI reads: a problem no check below covers stops `check` as it stops `run`. */
  readonly settings: Config.Config<unknown>
}

const pass = (detail: string): Finding => ({ ok: true, detail })
const fail = (detail: string, fix: string): Finding => ({ ok: false, detail, fix })

/** The setting the CA check reports itself, so its problem does not hide the other checks. */
const caSetting = "PORTAL_LDAP_CA_FILE"
const isCaProblem = (problem: string) => problem.startsWith(caSetting)

const ldapSection = Config.all({ mapping: AttributeMappingConfig, ldap: PortalDirectory.config })
const dfoSection = Config.all({
  mapping: AttributeMappingConfig,
  dfo: DfoEmployees.config,
  writeback: WritebackConfig.WritebackSettingsConfig
})

const ldapFix = (error: LdapConnectionError): string => {
  switch (error.step) {
    case "connect":
      return "check PORTAL_LDAP_URL and that the directory is reachable from here (DNS, firewall, PORTAL_LDAP_CONNECT_TIMEOUT_MS)"
    case "tls":
      return "check PORTAL_LDAP_CA_FILE (the CA that signed the directory's certificate), the host name in PORTAL_LDAP_URL and PORTAL_LDAP_STARTTLS"
    case "bind":
      return "check PORTAL_LDAP_BIND_DN and PORTAL_LDAP_BIND_PASSWORD (or PORTAL_LDAP_BIND_PASSWORD_FILE)"
    case "search":
      return "check PORTAL_LDAP_BASE_DN and that the service account may read it (PORTAL_LDAP_TIMEOUT_MS)"
  }
}

const dfoFix = (error: SapFetchError): string => {
  if (error.status === 405) {
    return "the API key's plan does not allow GET: check that SAP_API_KEY belongs to a plan of this API"
  }
  if (error.keyRefused && error.status !== undefined) return keyRefusalAdvice(error.status)
  return error.status === undefined
    ? "check that DFØ's gateway is reachable from here: SAP_ANSATT_BASE_URL, HTTPS_PROXY/NO_PROXY, SAP_TIMEOUT_MS"
    : "check SAP_ANSATT_BASE_URL: the employee collection, e.g. https://gw.example.no/dfo/ansatte/v2"
}

/** A bind and one search: the first entry of the paged search a full run makes. */
const checkLdap = (section: Either.Either<Config.Config.Success<typeof ldapSection>, unknown>) =>
  Either.match(section, {
    onLeft: () =>
      Effect.succeed(
        fail("not tried: the CA file is unusable", `fix ${caSetting} first (its line)`)
      ),
    onRight: ({ ldap, mapping }) =>
      Effect.scoped(
        Effect.flatMap(PortalDirectory.make({ ...ldap, mapping }), (directory) =>
          Stream.runCollect(Stream.take(directory.streamEmployeeIds(), 1))
        )
      ).pipe(
        Effect.map((found) => {
          const over = ldap.startTls
            ? " over StartTLS"
            : ldap.url.startsWith("ldaps")
              ? " over TLS"
              : ""
          const where = `bound as ${ldap.bindDn}${over}; searched ${ldap.baseDn ?? PortalDirectory.defaultBaseDn}`
          return found.length > 0
            ? pass(`${where}: found idautoPerson entries`)
            : fail(
                `${where}: no idautoPerson entry`,
                "check PORTAL_LDAP_BASE_DN and the account's read rights"
              )
        }),
        Effect.catchAll((error) => Effect.succeed(fail(error.message, ldapFix(error))))
      )
  })

/** One DFØ read: `GET {base}/00000000`, as the server's health probe reads. */
const checkDfo = (options: DfoEmployees.DfoEmployeesOptions) =>
  Effect.scoped(
    Effect.flatMap(DfoEmployees.make(options), (dfo) => {
      const read = `GET ${dfo.endpoint}/00000000`
      return dfo.probe().pipe(
        Effect.as(pass(`${read} answered: a read works`)),
        Effect.catchAll((error) =>
          Effect.succeed(
            // The refusal's message already holds the advice: the line says it once.
            error.keyRefused
              ? fail(`${read}: DFØ refused the key with HTTP ${error.status}`, dfoFix(error))
              : fail(error.message, dfoFix(error))
          )
        )
      )
    })
  )

/** The CA bundle: usable (the configuration's own check) and not expired. */
const checkCa = (file: string | undefined, problems: ReadonlyArray<string>) =>
  Effect.sync((): Finding => {
    const fix = `set ${caSetting} to a readable PEM bundle holding the CA that signed the directory's certificate`
    const [problem] = problems
    // The configuration names a nested setting twice (`X_X: …`): once is enough here.
    if (problem !== undefined) return fail(problem.replace(/^(PORTAL_LDAP_CA_FILE_)+/, ""), fix)
    if (file === undefined) return pass("not set: the system's CAs are trusted")
    let ends: ReadonlyArray<Date>
    try {
      const text = fs.readFileSync(file, "utf8")
      const blocks =
        text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
      ends = blocks.map((block) => new Date(new X509Certificate(block).validTo))
    } catch (cause) {
      return fail(
        `cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}`,
        fix
      )
    }
    const valid = ends.filter((end) => end.getTime() > Date.now())
    if (valid.length === 0) return fail(`${file}: every certificate has expired`, fix)
    const first = new Date(Math.min(...valid.map((end) => end.getTime())))
    return pass(
      `${file}: ${ends.length} certificate(s), the first to expire ends ${first.toISOString().slice(0, 10)}`
    )
  })

/** A plan made now with these settings is one `apply` accepts. */
const checkPlan = (review: Plan.Review) =>
  Effect.sync((): Finding => {
    const now = new Date()
    const made = Plan.make({ settings: review.settings, results: [], skippedByReason: {}, now })
    return Either.match(Plan.decode(Plan.encode(made), { ...review, now }), {
      onLeft: (refused) =>
        fail(
          refused.message,
          "check SAP_ANSATT_BASE_URL, the mapping and WRITEBACK_PLAN_MAX_AGE_HOURS"
        ),
      onRight: () => pass(`a plan made now is accepted by apply for ${review.maxAgeHours} h`)
    })
  })

/** `--metrics-file`: the run's own check, made before it reads anything. */
const checkMetricsFile = (file: string) =>
  Effect.map(MetricsFile.problem(file), (problem) =>
    problem === undefined
      ? pass(`${path.dirname(path.resolve(file))} is writable`)
      : fail(
          problem,
          "give --metrics-file a regular file (or a new one) in a directory this user may write (node_exporter's textfile directory)"
        )
  )

const timed = (name: string, check: Effect.Effect<Finding>) =>
  Effect.map(Effect.timed(check), ([duration, finding]): Line => ({
    name,
    ms: Math.round(Duration.toMillis(duration)),
    ...finding
  }))

/** One line: status, name, time, what was found and, on failure, what to do. No secret in it. */
const render = (line: Line, width: number, secrets: ReadonlyArray<string>) => {
  let text = `${line.ok ? "PASS" : "FAIL"}  ${line.name.padEnd(width)}  ${String(line.ms).padStart(5)} ms  ${line.detail}${line.fix === undefined ? "" : `; what to do: ${line.fix}`}`
  // A library's message could echo what it was given: a secret never reaches the screen.
  for (const secret of secrets) text = text.split(secret).join("<redacted>")
  return LogFormat.escapeControl(text)
}

/** Runs every check; exit 0 when all pass, 2 otherwise or when the configuration is invalid. */
export const check = (flags: CheckFlags, deps: CheckDeps): Effect.Effect<ExitCode> =>
  Effect.gen(function* () {
    const whole = yield* Effect.either(ConfigSource.read(catalogue, deps.settings, deps.env))
    const caProblems = Either.isLeft(whole) ? whole.left.problems.filter(isCaProblem) : []
    if (Either.isLeft(whole) && caProblems.length < whole.left.problems.length) {
      process.stderr.write(`${InvalidConfiguration.text(whole.left)}\n`)
      return ExitCode.RunFailed
    }
    // Sections read on their own: a CA file the LDAP check cannot use leaves DFØ's to run.
    const provider = yield* Effect.either(ConfigSource.fromEnvironment(catalogue, deps.env))
    if (Either.isLeft(provider)) {
      process.stderr.write(`${InvalidConfiguration.text(provider.left)}\n`)
      return ExitCode.RunFailed
    }
    const section = <A>(config: Config.Config<A>) =>
      Effect.either(Effect.withConfigProvider(config, provider.right))
    const ldap = yield* section(ldapSection)
    const dfo = yield* section(dfoSection)
    const caFile = yield* section(Config.option(Config.string(caSetting)))
    if (Either.isLeft(dfo)) {
      // Not reached: `whole` named every problem but the CA file's.
      process.stderr.write(
        `writeback: invalid configuration: ${ConfigSource.problems(dfo.left).join("; ")}\n`
      )
      return ExitCode.RunFailed
    }
    const { dfo: dfoOptions, mapping, writeback } = dfo.right
    const checks: Array<[string, Effect.Effect<Finding>]> = [
      ["ldap", checkLdap(ldap)],
      [
        "ldap CA file",
        checkCa(
          Either.isRight(caFile) ? Option.getOrUndefined(caFile.right) : undefined,
          caProblems
        )
      ],
      ["dfo", checkDfo(dfoOptions)],
      [
        "plan settings",
        checkPlan(
          Plan.reviewOf({
            baseUrl: dfoOptions.baseUrl,
            mapping,
            rules: writeback.rules,
            maxAgeHours: writeback.planMaxAgeHours
          })
        )
      ],
      ...(flags.metricsFile === undefined
        ? []
        : [
            ["metrics file", checkMetricsFile(flags.metricsFile)] as [
              string,
              Effect.Effect<Finding>
            ]
          ])
    ]
    const lines = yield* Effect.all(
      checks.map(([name, effect]) => timed(name, effect)),
      { concurrency: "unbounded" }
    )
    const secrets = [
      Redacted.isRedacted(dfoOptions.apiKey)
        ? Redacted.value(dfoOptions.apiKey)
        : dfoOptions.apiKey,
      ...(Either.isRight(ldap) ? [Redacted.value(ldap.right.ldap.bindPassword)] : [])
    ].filter((secret) => secret !== "")
    const width = Math.max(...lines.map((line) => line.name.length))
    process.stdout.write(lines.map((line) => `${render(line, width, secrets)}\n`).join(""))
    return lines.every((line) => line.ok) ? ExitCode.Ok : ExitCode.RunFailed
  })
