import { spawnSync } from "node:child_process"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { WritebackService } from "@dfo-writeback/contract"
import { DfoEmployees } from "@dfo-writeback/dfo-api"
import { AttributeMappingConfig } from "@dfo-writeback/domain"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import { ConfigSource, LogFormat, Settings, Telemetry } from "@dfo-writeback/edge"
import { WritebackConfig } from "@dfo-writeback/writeback"
import { ChildProcess } from "@dfo-writeback/testkit"
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
  Layer
} from "effect"
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

/** Upper-case names with an underscore, as settings are spelled, anywhere in a file (comments too). */
const namesIn = (text: string): ReadonlySet<string> =>
  new Set(text.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? [])

/** Names in these files that are not our settings: build-time, Node's, systemd's, health's. */
const notSettings = (name: string) =>
  /^(NX_|AF_)/.test(name) || ["NODE_ENV", "NODE_IMAGE", "NOT_SERVING"].includes(name)

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
  telemetry: Telemetry.config
})
const serverSettings = Config.all({
  server: ServerConfig.config,
  metrics: MetricsServer.config,
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
  "systemd server": {
    files: ["systemd/writeback.env", "systemd/dfo-writeback-server.service"],
    server: true
  },
  "systemd nightly": {
    files: ["systemd/writeback.env", "systemd/dfo-writeback.service"],
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
      const catalogue = Settings.all
        .map((s) => s.name)
        .filter((name) => name !== "WRITEBACK_CONFIG")
      assert.deepStrictEqual([...new Set(read)].sort(), [...catalogue].sort())
    })
  )
})

describe("deploy/", () => {
  it.effect("names only settings the configuration has", () =>
    Effect.gen(function* () {
      const { asked } = yield* inventory(serverSettings)
      const known = new Set([
        ...asked,
        ...ConfigSource.secretSettings.map((name) => `${name}_FILE`),
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
        for (const secret of ConfigSource.secretSettings) {
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
})
