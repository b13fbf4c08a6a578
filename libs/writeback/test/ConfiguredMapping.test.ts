// The attribute mapping is read once: the directory (what it searches and matches keys
// against) and the rules (WritebackConfig's mapping) take it from one ConfiguredMapping, so
// a configuration that answers differently on a second read cannot give them two mappings.
// The graph is built as tools/bench builds it, from `layerConfig`s over one provider.
import { ConfiguredMapping } from "@dfo-writeback/domain"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import { assert, layer } from "@effect/vitest"
import { ConfigProvider, ConfigProviderPathPatch, Effect, Layer } from "effect"
import { WritebackConfig } from "../src/index.js"
import { person } from "./fixtures.js"

const alice = person("alice", "00300001")

/**
 * `environment`, except that `mapping.username` answers `first` on its first read and
 * `later` on every read after: a file edited while the process starts, or two sources that
 * disagree. Counts those reads.
 */
const changingMapping = (
  environment: Readonly<Record<string, string>>,
  first: string,
  later: string
) => {
  let reads = 0
  const base = ConfigProvider.fromMap(new Map(Object.entries(environment))).flattened
  const provider = ConfigProvider.fromFlat(
    ConfigProvider.makeFlat({
      load: (path, primitive, split) => {
        if (path.join(".") !== "mapping.username") return base.load(path, primitive, split)
        reads += 1
        return Effect.map(primitive.parse(reads === 1 ? first : later), (value) => [value])
      },
      enumerateChildren: (path) => base.enumerateChildren(path),
      patch: ConfigProviderPathPatch.empty
    })
  )
  return { provider, reads: () => reads }
}

layer(LdapTestbed.layer({ users: 0, entries: [alice] }), {
  excludeTestServices: true,
  timeout: "60 seconds"
})("ConfiguredMapping: one mapping for the directory and the rules", (it) => {
  it.effect("a mapping that changes between reads still reaches both as its one value", () =>
    Effect.gen(function* () {
      const testbed = yield* LdapTestbed.LdapTestbed
      const { provider, reads } = changingMapping(
        testbed.environment,
        "idautoPersonSAMAccountName",
        "idautoPersonSystem1ID"
      )
      const graph = Layer.merge(PortalDirectory.layerConfig, WritebackConfig.layerConfig).pipe(
        Layer.provide(ConfiguredMapping.layerConfig)
      )
      yield* Effect.gen(function* () {
        const directory = yield* PortalDirectory.PortalDirectory
        const settings = yield* WritebackConfig.WritebackConfig
        assert.strictEqual(reads(), 1)
        assert.strictEqual(settings.mapping.username, "idautoPersonSAMAccountName")
        // The directory matches usernames against the attribute the rules were given.
        const found = yield* directory.findByKey("username", "alice-uh")
        assert.strictEqual(found.idautoId, alice["idautoID"])
        const missed = yield* Effect.flip(directory.findByKey("username", "alice"))
        assert.strictEqual(missed._tag, "UserNotFound")
      }).pipe(Effect.provide(graph), Effect.withConfigProvider(provider))
    })
  )
})
