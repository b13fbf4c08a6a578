import { DfoEmployees, DfoSettings } from "@dfo-writeback/dfo-api"
import { ConfiguredMapping, mappingKinds } from "@dfo-writeback/domain"
import { LdapSettings, PortalDirectory } from "@dfo-writeback/portal-ldap"
import { ConfigSource, EdgeSettings, LogFormat, Settings } from "@dfo-writeback/edge"
import { Writeback, WritebackConfig, WritebackSettings } from "@dfo-writeback/writeback"
import { Effect, Layer, LogLevel } from "effect"
import type { DfoBackend, LdapBackend } from "./protocol.js"

/** CONTRACT §6's environment over the bench's slapd and emulator, plus `overrides`. */
export const environment = (
  ldap: LdapBackend,
  dfo: DfoBackend,
  overrides: Readonly<Record<string, string>> = {}
): Record<string, string> => ({
  PORTAL_LDAP_URL: ldap.url,
  PORTAL_LDAP_BIND_DN: ldap.bindDn,
  PORTAL_LDAP_BIND_PASSWORD: ldap.password,
  PORTAL_LDAP_BASE_DN: ldap.baseDn,
  SAP_ANSATT_BASE_URL: dfo.baseUrl,
  SAP_API_KEY: dfo.apiKey,
  // The contract's default of 10 would measure the limiter, not the program.
  SAP_MAX_RPS: "1000",
  ...overrides
})

/** The settings the program reads, as the CLI's catalogue has them. */
const catalogue = Settings.catalogue({
  declarations: [
    LdapSettings.settings,
    DfoSettings.settings,
    WritebackSettings.settings,
    EdgeSettings.settings
  ],
  mapping: mappingKinds
})

/**
 * The writeback program built the way the CLI and the server build it: every setting read
 * from the environment map, defaults for the rest. The DFØ client is exposed too, for its
 * request counters.
 */
export const programLayer = (env: Readonly<Record<string, string>>) =>
  Layer.unwrapEffect(
    Effect.map(ConfigSource.fromEnvironment(catalogue, env), (provider) =>
      Layer.provideMerge(
        Writeback.layer,
        Layer.mergeAll(
          PortalDirectory.layerConfig,
          DfoEmployees.layerConfig,
          WritebackConfig.layerConfig
        ).pipe(Layer.provide(ConfiguredMapping.layerConfig))
      ).pipe(Layer.provide(Layer.setConfigProvider(provider)))
    )
  )

/**
 * The contract's log format (JSON lines at `info`), formatted as in production but not
 * written anywhere: the child's stdout carries its result, and disk I/O is not the program.
 */
export const silentJsonLogs = () => {
  let lines = 0
  return {
    layer: LogFormat.layer({
      format: "json",
      level: LogLevel.Info,
      write: () => {
        lines += 1
      }
    }),
    lines: () => lines
  }
}
