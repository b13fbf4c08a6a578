import { spawnSync } from "node:child_process"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { WritebackService } from "@dfo-writeback/contract"
import { DfoEmployees } from "@dfo-writeback/dfo-api"
import { AttributeMappingConfig } from "@dfo-writeback/domain"
import { EventsConfig } from "@dfo-writeback/events"
import { LeaseConfig } from "@dfo-writeback/lease"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import { ConfigSource, LogFormat, Telemetry } from "@dfo-writeback/edge"
import { WritebackConfig } from "@dfo-writeback/writeback"
import { ChildProcess, ServiceLinks } from "@dfo-writeback/testkit"
import { assert, describe, it, layer } from "@effect/vitest"
import {
  Config,
  ConfigError,
  ConfigProvider,
  ConfigProviderPathPatch,
  Context,
  Effect,
  Either,
  HashSet,
  Layer,
  Option
} from "effect"
import { parseAllDocuments } from "yaml"
import { catalogue } from "../src/Catalogue.js"
import * as MetricsServer from "../src/MetricsServer.js"
import * as ServerConfig from "../src/ServerConfig.js"
import * as Fixture from "./utils/fixture.js"
import * as ServerProcess from "./utils/ServerProcess.js"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const deploy = join(root, "deploy")

const filesUnder = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })

const read = (relative: string) => readFileSync(join(deploy, relative), "utf8")

/** Every document of a YAML file under deploy/, as plain values. */
const documents = (relative: string): ReadonlyArray<unknown> =>
  parseAllDocuments(read(relative)).map((document) => document.toJS() as unknown)

/** The value at `path` inside `value`, or `undefined` where the path leads nowhere. */
const at = (value: unknown, ...path: ReadonlyArray<string | number>): unknown =>
  path.reduce<unknown>(
    (inner, key) =>
      typeof inner === "object" && inner !== null
        ? (inner as Record<string | number, unknown>)[key]
        : undefined,
    value
  )

const kubernetesFiles = filesUnder(join(deploy, "kubernetes"))
  .filter((file) => /\.ya?ml$/.test(file))
  .map((file) => file.slice(deploy.length + 1))

/** The one document of `kind` (and `name`, when given) in deploy/kubernetes/. */
const manifest = (kind: string, name?: string) => {
  const found = kubernetesFiles.flatMap((file) =>
    documents(file).filter(
      (doc) =>
        at(doc, "kind") === kind && (name === undefined || at(doc, "metadata", "name") === name)
    )
  )
  assert.lengthOf(found, 1, `one ${kind} ${name ?? ""} in deploy/kubernetes/`)
  return found[0]
}

/** Where a pod's spec sits in each kind of workload. */
const podSpecPaths: Readonly<Record<string, ReadonlyArray<string>>> = {
  Pod: ["spec"],
  Deployment: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"]
}

/** `systemd-analyze` with `args`: what it printed, or one line saying it is missing. */
const systemdAnalyze = (args: ReadonlyArray<string>) => {
  const run = spawnSync("systemd-analyze", [...args], { encoding: "utf8" })
  if (run.error !== undefined) {
    assert.fail(
      "systemd-analyze is not installed: run `sudo apt-get install -y systemd` (Debian/Ubuntu)"
    )
  }
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

/** Upper-case names with an underscore, as settings are spelled, anywhere in a file (comments too). */
const namesIn = (text: string): ReadonlySet<string> =>
  new Set(text.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? [])

/** Names in these files that are not our settings: build-time, Node's, systemd's, health's. */
// POD_NAMESPACE: the downward API's namespace, expanded into WRITEBACK_LEASE by Kubernetes.
const notSettings = (name: string) =>
  /^(NX_|AF_)/.test(name) ||
  ["NODE_ENV", "NODE_IMAGE", "NOT_SERVING", "POD_NAMESPACE"].includes(name)

/**
 * Every setting a configuration reads, and the ones it cannot do without, found by reading
 * it from a provider that records each name asked for and has none of them: a name that
 * comes back missing has no default.
 */
const inventory = (config: Config.Config<unknown>) =>
  Effect.gen(function* () {
    const asked = new Set<string>()
    const provider = ConfigProvider.fromFlat(
      ConfigProvider.makeFlat({
        load: (path) => {
          asked.add(path.join("_"))
          return Effect.fail(ConfigError.MissingData([...path], "not set"))
        },
        enumerateChildren: (path) => {
          asked.add(path.join("_"))
          return Effect.succeed(HashSet.empty<string>())
        },
        patch: ConfigProviderPathPatch.empty
      })
    )
    const result = yield* Effect.either(Effect.withConfigProvider(config, provider))
    const required = Either.isLeft(result)
      ? ConfigError.reduceWithContext(result.left, undefined, {
          andCase: (_, l: ReadonlyArray<string>, r: ReadonlyArray<string>) => [...l, ...r],
          orCase: (_, l: ReadonlyArray<string>, r: ReadonlyArray<string>) => [...l, ...r],
          missingDataCase: (_, path) => [path.join("_")],
          invalidDataCase: () => [],
          sourceUnavailableCase: () => [],
          unsupportedCase: () => []
        })
      : []
    return { asked, required: new Set(required) }
  })

/** What the CLI reads (apps/cli/src/main.ts) and what the server adds (apps/server/src/main.ts). */
const cliSettings = Config.all({
  logging: LogFormat.OptionsConfig(() => undefined),
  mapping: AttributeMappingConfig,
  writeback: WritebackConfig.WritebackSettingsConfig,
  ldap: PortalDirectory.config,
  dfo: DfoEmployees.config,
  telemetry: Telemetry.config,
  lease: LeaseConfig.config
})
const serverSettings = Config.all({
  server: ServerConfig.config,
  metrics: MetricsServer.config,
  events: EventsConfig.config,
  rest: cliSettings
})

/** The files each way of running it reads, relative to deploy/. */
const units = {
  "kubernetes server": {
    files: ["kubernetes/config.yaml", "kubernetes/server.yaml"],
    server: true
  },
  "kubernetes nightly": {
    files: ["kubernetes/config.yaml", "kubernetes/nightly.yaml"],
    server: false
  },
  "kubernetes incremental": {
    files: ["kubernetes/config.yaml", "kubernetes/incremental.yaml"],
    server: false
  },
  "systemd server": {
    files: ["systemd/writeback.env", "systemd/dfo-writeback-server.service"],
    server: true
  },
  "systemd nightly": {
    files: ["systemd/writeback.env", "systemd/dfo-writeback.service"],
    server: false
  },
  "systemd incremental": {
    files: ["systemd/writeback.env", "systemd/dfo-writeback-incremental.service"],
    server: false
  }
} as const

describe("the settings catalogue", () => {
  it.effect("lists exactly what the CLI and the server read: help, README and file keys", () =>
    Effect.gen(function* () {
      const { asked } = yield* inventory(serverSettings)
      // The mapping is the file's `mapping` section, not a setting; WRITEBACK_CONFIG and the
      // lower-case proxy forms are read before (or beside) the configuration.
      const read = [...asked].filter(
        (name) => !name.startsWith("mapping") && name === name.toUpperCase()
      )
      const names = catalogue.all.map((s) => s.name).filter((name) => name !== "WRITEBACK_CONFIG")
      assert.deepStrictEqual([...new Set(read)].sort(), [...names].sort())
    })
  )
})

describe("deploy/", () => {
  it.effect("names only settings the configuration has", () =>
    Effect.gen(function* () {
      const { asked } = yield* inventory(serverSettings)
      const known = new Set([
        ...asked,
        ...catalogue.secrets.map((name) => `${name}_FILE`),
        "WRITEBACK_CONFIG"
      ])
      const files = filesUnder(deploy)
      assert.isAbove(files.length, 6)
      for (const file of files) {
        const unknown = [...namesIn(readFileSync(file, "utf8"))].filter(
          (name) => !known.has(name) && !notSettings(name)
        )
        assert.deepStrictEqual(unknown, [], `${file} names settings that do not exist`)
      }
    })
  )

  it.effect("names every required setting (or its _FILE form) in each way of running it", () =>
    Effect.gen(function* () {
      const cli = (yield* inventory(cliSettings)).required
      const server = (yield* inventory(serverSettings)).required
      assert.includeMembers([...cli], ["PORTAL_LDAP_URL", "SAP_ANSATT_BASE_URL", "SAP_API_KEY"])
      for (const [unit, { files, server: isServer }] of Object.entries(units)) {
        const named = new Set(files.flatMap((file) => [...namesIn(read(file))]))
        // The server refuses to start without tokens (unless explicitly unauthenticated).
        const required = isServer ? [...server, "GRPC_AUTH_TOKENS"] : [...cli]
        const missing = required.filter((name) => !named.has(name) && !named.has(`${name}_FILE`))
        assert.deepStrictEqual(missing, [], `${unit} does not name every required setting`)
        for (const secret of catalogue.secrets) {
          assert.isFalse(named.has(secret), `${unit} gives ${secret} as a file, never inline`)
        }
      }
    })
  )

  it("the image is multi-stage, non-root and health-checked through gRPC health", () => {
    const dockerfile = read("Dockerfile")
    assert.isAtLeast(dockerfile.match(/^FROM /gm)?.length ?? 0, 2)
    assert.match(dockerfile, /^USER 1000:1000$/m)
    assert.match(
      dockerfile,
      /^HEALTHCHECK .*\n?.*CMD \["node", "\/app\/deploy\/healthcheck\.mjs"\]/m
    )
    const nightly = read("kubernetes/nightly.yaml")
    assert.match(nightly, /^kind: CronJob$/m)
    assert.match(nightly, /concurrencyPolicy: Forbid/)
    const server = read("kubernetes/server.yaml")
    assert.match(
      server,
      /readinessProbe:\s+grpc:\s+port: 50051\s+service: dfo\.writeback\.v1\.WritebackService/
    )
    assert.match(server, /livenessProbe:\s+grpc:\s+port: 50051\s/)
    for (const manifest of [server, nightly]) {
      assert.match(manifest, /readOnlyRootFilesystem: true/)
      assert.match(manifest, /runAsNonRoot: true/)
    }
  })

  it("builds the image where a container builder is available", { timeout: 900_000 }, () => {
    const docker = spawnSync("docker", ["info"], { stdio: "ignore" })
    if (docker.error !== undefined || docker.status !== 0) {
      console.log("deploy/Dockerfile not built: no container engine here (`docker info` failed)")
      return
    }
    const tag = `dfo-writeback-test:${process.pid}`
    const build = spawnSync(
      "docker",
      ["build", "-f", join(deploy, "Dockerfile"), "-t", tag, root],
      {
        encoding: "utf8"
      }
    )
    assert.strictEqual(build.status, 0, build.stderr)
    try {
      const user = spawnSync("docker", ["run", "--rm", "--read-only", tag, "id", "-u"], {
        encoding: "utf8"
      })
      assert.strictEqual(user.stdout.trim(), "1000")
      // No configuration: the server starts, reads it, and refuses with exit 2.
      const unconfigured = spawnSync("docker", ["run", "--rm", "--read-only", tag], {
        encoding: "utf8"
      })
      assert.strictEqual(unconfigured.status, 2)
      assert.include(unconfigured.stdout, "invalid configuration")
    } finally {
      spawnSync("docker", ["rmi", "-f", tag], { stdio: "ignore" })
    }
  })
})

describe("deploy/kubernetes/", () => {
  it("holds no Secret, and nothing under deploy/ holds a placeholder value", () => {
    assert.isNotEmpty(kubernetesFiles)
    for (const file of kubernetesFiles) {
      const secrets = documents(file).filter((doc) => at(doc, "kind") === "Secret")
      // `kubectl apply -f deploy/kubernetes/` would overwrite the real Secret with these.
      assert.deepStrictEqual(secrets, [], `${file} holds a Secret`)
    }
    const placeholder =
      /\b(?:replace[-_ ]?me|change[-_ ]?me|changeit|placeholder|your[-_ ](?:token|key|password|secret))\b/i
    for (const file of filesUnder(deploy)) {
      const found = placeholder.exec(readFileSync(file, "utf8"))
      assert.isNull(found, `${file} holds the placeholder ${found?.[0] ?? ""}`)
    }
  })

  it("every pod spec turns Kubernetes' service links off", () => {
    const pods = kubernetesFiles.flatMap((file) =>
      documents(file).flatMap((doc) => {
        const path = podSpecPaths[String(at(doc, "kind"))]
        return path === undefined ? [] : [{ file, kind: at(doc, "kind"), spec: at(doc, ...path) }]
      })
    )
    assert.includeMembers(
      pods.map((pod) => pod.kind),
      ["Deployment", "CronJob"]
    )
    for (const pod of pods) {
      assert.strictEqual(
        at(pod.spec, "enableServiceLinks"),
        false,
        `${pod.file}: ${String(pod.kind)} without enableServiceLinks: false`
      )
    }
  })

  it.effect("the server serves /metrics on a named port, annotated and in a PodMonitor", () =>
    Effect.gen(function* () {
      const template = at(manifest("Deployment", "dfo-writeback-server"), "spec", "template")
      const containers = at(template, "spec", "containers") as ReadonlyArray<unknown>
      const server = containers.find((container) => at(container, "name") === "server")
      const value = (at(server, "env") as ReadonlyArray<unknown>).find(
        (entry) => at(entry, "name") === "METRICS_LISTEN"
      )
      assert.isDefined(value, "the server sets no METRICS_LISTEN")
      // Read as the server reads it: a value it refuses would stop start-up.
      const { listen } = yield* ConfigSource.read(catalogue, MetricsServer.config, {
        METRICS_LISTEN: String(at(value, "value"))
      })
      const { host, port } = Option.getOrThrowWith(
        listen,
        () => "the server sets no METRICS_LISTEN"
      )
      // The scraper comes in on the pod's address, never on loopback.
      assert.include(["0.0.0.0", "::"], host)
      const ports = at(server, "ports") as ReadonlyArray<unknown>
      assert.deepInclude(ports, { name: "metrics", containerPort: port })
      assert.deepStrictEqual(
        Object.entries((at(template, "metadata", "annotations") ?? {}) as object).filter(([key]) =>
          key.startsWith("prometheus.io/")
        ),
        [
          ["prometheus.io/scrape", "true"],
          ["prometheus.io/port", String(port)],
          ["prometheus.io/path", "/metrics"]
        ]
      )

      const monitor = manifest("PodMonitor")
      assert.strictEqual(at(monitor, "apiVersion"), "monitoring.coreos.com/v1")
      const labels = at(template, "metadata", "labels") as Record<string, string>
      const selector = at(monitor, "spec", "selector", "matchLabels") as Record<string, string>
      assert.isNotEmpty(Object.keys(selector))
      for (const [key, value] of Object.entries(selector)) assert.strictEqual(labels[key], value)
      assert.deepInclude(at(monitor, "spec", "podMetricsEndpoints") as ReadonlyArray<unknown>, {
        port: "metrics",
        path: "/metrics",
        interval: "30s"
      })
      // The operator's kinds each in files of their own: a cluster without its CRDs skips them.
      for (const file of kubernetesFiles) {
        const operator = documents(file).map((doc) =>
          String(at(doc, "apiVersion")).startsWith("monitoring.coreos.com/")
        )
        assert.isTrue(
          operator.every((isOperator) => isOperator) || operator.every((isOperator) => !isOperator),
          `${file} mixes the Prometheus Operator's kinds with others`
        )
      }
    })
  )

  it("the nightly CronJob ends its Job Failed on a failed run and never retries it blindly", () => {
    // The alert rules name it: kube_cronjob_status_last_successful_time{cronjob=…} and
    // kube_job_status_failed{job_name=~"dfo-writeback-nightly.*"}.
    const cronJob = manifest("CronJob", "dfo-writeback-nightly")
    assert.strictEqual(at(cronJob, "spec", "concurrencyPolicy"), "Forbid")
    assert.isAbove(Number(at(cronJob, "spec", "startingDeadlineSeconds")), 0)
    const job = at(cronJob, "spec", "jobTemplate", "spec")
    assert.strictEqual(at(job, "backoffLimit"), 0)
    assert.isAbove(Number(at(job, "activeDeadlineSeconds")), 0)
    const rules = (at(job, "podFailurePolicy", "rules") ?? []) as ReadonlyArray<unknown>
    for (const rule of rules) {
      // Only a pod Kubernetes itself took away may run again; never an exit code.
      assert.isUndefined(at(rule, "onExitCodes"), "a podFailurePolicy rule on exit codes")
      assert.deepStrictEqual(at(rule, "onPodConditions"), [{ type: "DisruptionTarget" }])
    }
    const pod = at(job, "template", "spec")
    assert.strictEqual(at(pod, "restartPolicy"), "Never")
    const [container, ...others] = at(pod, "containers") as ReadonlyArray<unknown>
    assert.isEmpty(others)
    // The CLI itself, no shell around it that could swallow its exit code.
    const command = at(container, "command") as ReadonlyArray<string>
    assert.deepStrictEqual(command.slice(0, 2), ["node", "/app/apps/cli/dist/main.js"])
    assert.includeMembers([...command], ["run", "--process-all"])
  })
})

describe("incremental runs (CONTRACT §8)", () => {
  it("a CronJob and a systemd timer run --changed-since 15m every 10 minutes, one at a time", () => {
    const cronJob = manifest("CronJob", "dfo-writeback-incremental")
    assert.strictEqual(at(cronJob, "spec", "schedule"), "*/10 * * * *")
    assert.strictEqual(at(cronJob, "spec", "concurrencyPolicy"), "Forbid")
    const job = at(cronJob, "spec", "jobTemplate", "spec")
    assert.strictEqual(at(job, "backoffLimit"), 0)
    // A run that hangs ends before the next one starts.
    assert.isBelow(Number(at(job, "activeDeadlineSeconds")), 600)
    const [container] = at(job, "template", "spec", "containers") as ReadonlyArray<unknown>
    const command = at(container, "command") as ReadonlyArray<string>
    assert.deepStrictEqual(command.slice(0, 2), ["node", "/app/apps/cli/dist/main.js"])
    assert.include(command.join(" "), "run --process-all --changed-since 15m")

    const timer = read("systemd/dfo-writeback-incremental.timer")
    assert.match(timer, /^OnCalendar=\*:0\/10$/m)
    assert.match(timer, /^Unit=dfo-writeback-incremental\.service$/m)
    const unit = read("systemd/dfo-writeback-incremental.service")
    assert.match(unit, /^Type=oneshot$/m)
    assert.match(unit, /run --process-all \\\n\s+--changed-since 15m --json$/m)
    const timeout = /^TimeoutStartSec=(\d+)min$/m.exec(unit)
    assert.isBelow(Number(timeout?.[1]), 10)
    // The node_exporter textfile is the nightly full run's alone.
    assert.notInclude(unit, "--metrics-file")
  })
})

describe("deploy/Dockerfile", () => {
  it("builds on a supported Node.js that is not past its end of life (22 or 24)", () => {
    const dockerfile = read("Dockerfile")
    const image = /^ARG NODE_IMAGE=node:(\d+)-[a-z0-9-]+$/m.exec(dockerfile)
    assert.isNotNull(image, "ARG NODE_IMAGE=node:<major>-<variant>")
    const major = Number(image?.[1])
    assert.include([22, 24], major)
    const engines = (
      JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
        engines: { node: string }
      }
    ).engines.node
    assert.match(engines, new RegExp(`\\^${major}\\.`), "package.json's engines allow it")
    const from = dockerfile.match(/^FROM .*$/gm) ?? []
    assert.isAtLeast(from.length, 2)
    for (const line of from) assert.match(line, /^FROM \$\{NODE_IMAGE\}(?: AS \w+)?$/)
    const readme = readFileSync(join(root, "README.md"), "utf8")
    assert.include(readme, `node:${major}-`, "the README names the image's Node.js")
  })
})

describe("deploy/systemd/", () => {
  const units = [
    "dfo-writeback-server.service",
    "dfo-writeback.service",
    "dfo-writeback-incremental.service"
  ].map((unit) => join(deploy, "systemd", unit))

  it("each service scores OK, 2.0 or lower, on systemd-analyze security", () => {
    for (const unit of units) {
      const { code, stdout, stderr } = systemdAnalyze([
        "security",
        "--offline=yes",
        "--no-pager",
        unit
      ])
      assert.strictEqual(code, 0, stderr)
      // A misspelt directive is ignored with a warning, and scores as if it were absent.
      assert.strictEqual(stderr, "", `${unit}: ${stderr}`)
      const level = /Overall exposure level for \S+: (\d+\.\d+) (\w+)/.exec(stdout)
      assert.isNotNull(level, stdout)
      assert.isAtMost(Number(level?.[1]), 2, `${unit}: ${level?.[0] ?? ""}`)
      assert.include(["OK", "SAFE", "PERFECT"], level?.[2])
    }
  })

  it("systemd-analyze verify finds nothing to say about the units and the timer", () => {
    const { stderr } = systemdAnalyze([
      "verify",
      "--man=no",
      ...units,
      join(deploy, "systemd", "dfo-writeback.timer"),
      join(deploy, "systemd", "dfo-writeback-incremental.timer")
    ])
    // Only the node binary's path may be missing where these tests run.
    const problems = stderr
      .split("\n")
      .filter((line) => line !== "" && !/Command \/usr\/bin\/node is not executable/.test(line))
    assert.deepStrictEqual(problems, [])
  })

  it("the nightly run writes its metrics file where ProtectSystem=strict lets it", () => {
    const unit = read("systemd/dfo-writeback.service")
    const file = /--metrics-file (\S+)/.exec(unit)?.[1]
    assert.isDefined(file, "the nightly run writes no metrics file")
    const writable = [...unit.matchAll(/^ReadWritePaths=(.+)$/gm)].flatMap((m) =>
      (m[1] ?? "").split(/\s+/)
    )
    assert.include(writable, dirname(file ?? ""))
    assert.match(unit, /^ProtectSystem=strict$/m)
    // The README's command writes the same file.
    const readme = readFileSync(join(root, "README.md"), "utf8")
    const named = [...readme.matchAll(/--metrics-file (\S+\.prom)/g)].map((m) => m[1])
    assert.isNotEmpty(named)
    for (const path of named) assert.strictEqual(path, file)
  })
})

class Backends extends Context.Tag("server-test/DeployBackends")<
  Backends,
  Effect.Effect.Success<typeof Fixture.backends>
>() {}

/** `node deploy/healthcheck.mjs [service]` as the image runs it, against `env`. */
const healthcheck = (env: Record<string, string>, service?: string) =>
  ChildProcess.run(
    process.execPath,
    [join(deploy, "healthcheck.mjs"), ...(service === undefined ? [] : [service])],
    { env, inheritEnv: false, cwd: root }
  ).pipe(
    Effect.map((end) => ({ code: end.code ?? -1, output: end.stdout + end.stderr })),
    Effect.provide(ChildProcess.layer),
    Effect.orDie
  )

layer(Layer.scoped(Backends, Fixture.backends), {
  excludeTestServices: true,
  timeout: "60 seconds"
})("deploy/healthcheck.mjs", (it) => {
  it.scoped("exits 0 while SERVING and 1 while WritebackService is NOT_SERVING", () =>
    Effect.gen(function* () {
      const { testbed, emulator } = yield* Backends
      const port = (server: ServerProcess.ServerProcess) =>
        server.address.slice(server.address.lastIndexOf(":") + 1)
      const healthy = yield* ServerProcess.scoped(
        Fixture.serverEnv(testbed, emulator, { GRPC_LISTEN: ":0" })
      )
      // As in the image: the server listens everywhere, the check asks over loopback.
      const listen = { GRPC_LISTEN: `:${port(healthy)}` }
      const live = yield* healthcheck(listen)
      assert.strictEqual(live.code, 0, live.output)
      assert.include(live.output, "SERVING")
      const ready = yield* healthcheck(listen, WritebackService.typeName)
      assert.strictEqual(ready.code, 0, ready.output)

      const refused = yield* ServerProcess.scoped(
        Fixture.serverEnv(testbed, emulator, { SAP_API_KEY: "not-the-key" })
      )
      const notReady = yield* healthcheck(
        { GRPC_LISTEN: refused.address },
        WritebackService.typeName
      )
      assert.strictEqual(notReady.code, 1)
      assert.include(notReady.output, "NOT_SERVING")
      assert.strictEqual((yield* healthcheck({ GRPC_LISTEN: refused.address })).code, 0)
    })
  )

  it.scoped("starts beside the variables Kubernetes injects for Services named sap-…", () =>
    Effect.gen(function* () {
      const { testbed, emulator } = yield* Backends
      const links = {
        ...ServiceLinks.environment("sap-gateway", "10.0.0.1", [{ name: "https", port: 443 }]),
        ...ServiceLinks.environment("portal-ldap-proxy", "fd00::10", [
          { name: "ldaps", port: 636 },
          { name: "stats", port: 9000, protocol: "UDP" }
        ]),
        ...ServiceLinks.environment("writeback-db", "10.0.0.7", [{ port: 5432 }])
      }
      assert.strictEqual(links["SAP_GATEWAY_PORT"], "tcp://10.0.0.1:443")
      const server = yield* ServerProcess.scoped(Fixture.serverEnv(testbed, emulator, links))
      const live = yield* healthcheck({ GRPC_LISTEN: server.address })
      assert.strictEqual(live.code, 0, live.output)

      // A misspelt setting among them still stops start-up.
      const misspelt = yield* Effect.promise(() =>
        ServerProcess.runToExit(
          Fixture.serverEnv(testbed, emulator, { ...links, SAP_TIMEOUT_MSS: "5000" })
        )
      )
      assert.strictEqual(misspelt.code, 2, misspelt.output)
      assert.include(misspelt.output, "SAP_TIMEOUT_MSS: unknown setting")
      assert.notInclude(misspelt.output, "SAP_GATEWAY")
    })
  )
})

describe("deploy/: one full run across processes (CONTRACT §8)", () => {
  /** The pod spec and the first container of a workload. */
  const podOf = (kind: "Deployment" | "CronJob", name: string) => {
    const spec = at(
      manifest(kind, name),
      ...(kind === "Deployment"
        ? ["spec", "template", "spec"]
        : ["spec", "jobTemplate", "spec", "template", "spec"])
    )
    return { spec, container: at(spec, "containers", 0) }
  }

  it("the server and the nightly CronJob share one Lease, taken with the pod's service account", () => {
    for (const [kind, name] of [
      ["Deployment", "dfo-writeback-server"],
      ["CronJob", "dfo-writeback-nightly"]
    ] as const) {
      const { spec, container } = podOf(kind, name)
      assert.strictEqual(at(spec, "serviceAccountName"), "dfo-writeback", kind)
      assert.strictEqual(at(spec, "automountServiceAccountToken"), true, kind)
      const env = at(container, "env") as ReadonlyArray<unknown>
      const value = (name: string) =>
        at(
          env.find((entry) => at(entry, "name") === name),
          "value"
        )
      const namespace = env.find((entry) => at(entry, "name") === "POD_NAMESPACE")
      assert.strictEqual(at(namespace, "valueFrom", "fieldRef", "fieldPath"), "metadata.namespace")
      // Kubernetes expands $(POD_NAMESPACE), defined before it; the result reads as a lease.
      const lease = String(value("WRITEBACK_LEASE")).replace("$(POD_NAMESPACE)", "iam")
      assert.deepStrictEqual(
        LeaseConfig.parse(lease),
        Either.right({ _tag: "Kubernetes" as const, namespace: "iam", name: "dfo-writeback" })
      )
    }
  })

  it("RBAC: get, create and update on that Lease only, bound to the service account", () => {
    assert.strictEqual(at(manifest("ServiceAccount", "dfo-writeback"), "kind"), "ServiceAccount")
    const rules = at(manifest("Role", "dfo-writeback-lease"), "rules") as ReadonlyArray<unknown>
    for (const rule of rules) {
      assert.deepStrictEqual(at(rule, "apiGroups"), ["coordination.k8s.io"])
      assert.deepStrictEqual(at(rule, "resources"), ["leases"])
    }
    const verbs = rules.flatMap((rule) => at(rule, "verbs") as ReadonlyArray<string>).sort()
    assert.deepStrictEqual(verbs, ["create", "get", "update"])
    // Only `create` goes without a name: RBAC cannot name an object not yet made.
    for (const rule of rules) {
      const named = at(rule, "resourceNames")
      if ((at(rule, "verbs") as ReadonlyArray<string>).includes("create")) assert.isUndefined(named)
      else assert.deepStrictEqual(named, ["dfo-writeback"])
    }
    const binding = manifest("RoleBinding", "dfo-writeback-lease")
    assert.deepStrictEqual(at(binding, "roleRef"), {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "dfo-writeback-lease"
    })
    assert.deepStrictEqual(at(binding, "subjects"), [
      { kind: "ServiceAccount", name: "dfo-writeback" }
    ])
  })

  it("the systemd units share one lock file in a runtime directory both keep", () => {
    for (const unit of ["dfo-writeback.service", "dfo-writeback-server.service"]) {
      const text = read(join("systemd", unit))
      assert.include(text, "\nEnvironment=WRITEBACK_LEASE=file:/run/dfo-writeback/lease\n", unit)
      assert.include(text, "\nRuntimeDirectory=dfo-writeback\nRuntimeDirectoryPreserve=yes\n", unit)
    }
  })
})
