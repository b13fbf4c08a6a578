import {
  type AttributeMapping,
  ConfiguredMapping,
  type WritebackRules
} from "@dfo-writeback/domain"
import type { Settings } from "@dfo-writeback/edge"
import { Config, type ConfigError, Context, Effect, Layer } from "effect"
import { settings } from "./WritebackSettings.js"

/** The settings of the writeback program (CONTRACT §6). */
export interface WritebackSettings {
  /** The process's `ConfiguredMapping`, the one the directory reads with. */
  readonly mapping: AttributeMapping
  readonly rules: WritebackRules
  /** `SAP_READ_ONLY`: plan and report, never write. */
  readonly readOnly: boolean
  /** `SAP_CONCURRENCY`: users in flight at once. */
  readonly concurrency: number
  /** `SAP_BULK_LIST`: a full run reads all employees with one `GET {base}`. */
  readonly bulkList: boolean
  /** `WRITEBACK_MAX_UPDATES`: the mass-update guard. */
  readonly maxUpdates: number
  /** `SAP_ABORT_AFTER_CONSECUTIVE_FAILURES`: stop starting users after this many failures in a row. */
  readonly abortAfterConsecutiveFailures: number
  /** `WRITEBACK_PLAN_MAX_AGE_HOURS`: `apply` refuses older plans (default `defaultPlanMaxAgeHours`). */
  readonly planMaxAgeHours?: number
}

/** The writeback program's settings as a service, so a server reads them once. */
export class WritebackConfig extends Context.Tag("@dfo-writeback/writeback/WritebackConfig")<
  WritebackConfig,
  WritebackSettings
>() {}

const positiveInt = ({ default: fallback, name }: Settings.Declared<"integer", number>) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: `${name} must be at least 1`, validation: (n) => n >= 1 })
  )

/** The settings as read from configuration: all but the mapping, which `ConfiguredMapping` holds. */
export type ConfiguredSettings = Omit<WritebackSettings, "mapping">

/** `apply` refuses plans older than this many hours unless told otherwise. */
export const defaultPlanMaxAgeHours = settings.planMaxAgeHours.default

/** Reads the settings from the environment (or the app's ConfigProvider), as `WritebackSettings` declares them. */
export const WritebackSettingsConfig: Config.Config<ConfiguredSettings> = Config.all({
  writebackBrukerident: Config.boolean(settings.writebackBrukerident.name).pipe(
    Config.withDefault(settings.writebackBrukerident.default)
  ),
  businessRoleExceptions: Config.array(Config.string(), settings.businessRoleExceptions.name).pipe(
    Config.withDefault([]),
    // The JSON file may give a list or, like the environment, one comma-separated string.
    Config.map((roles) =>
      roles
        .flatMap((role) => role.split(","))
        .map((role) => role.trim())
        .filter((role) => role !== "")
    )
  ),
  readOnly: Config.boolean(settings.readOnly.name).pipe(
    Config.withDefault(settings.readOnly.default)
  ),
  concurrency: positiveInt(settings.concurrency),
  bulkList: Config.boolean(settings.bulkList.name).pipe(
    Config.withDefault(settings.bulkList.default)
  ),
  maxUpdates: Config.integer(settings.maxUpdates.name).pipe(
    Config.withDefault(settings.maxUpdates.default),
    Config.validate({
      message: "WRITEBACK_MAX_UPDATES must be 0 or more",
      validation: (n) => n >= 0
    })
  ),
  abortAfterConsecutiveFailures: positiveInt(settings.abortAfterConsecutiveFailures),
  planMaxAgeHours: positiveInt(settings.planMaxAgeHours)
}).pipe(
  Config.map(({ writebackBrukerident, businessRoleExceptions, ...rest }) => ({
    ...rest,
    rules: { writebackBrukerident, businessRoleExceptions }
  }))
)

/** Settings already read, with the process's `ConfiguredMapping`. */
export const layerMapped = (
  settings: ConfiguredSettings
): Layer.Layer<WritebackConfig, never, ConfiguredMapping> =>
  Layer.effect(
    WritebackConfig,
    Effect.map(ConfiguredMapping, (mapping) => ({ ...settings, mapping }))
  )

/** Settings from configuration, with the process's `ConfiguredMapping`. */
export const layerConfig: Layer.Layer<WritebackConfig, ConfigError.ConfigError, ConfiguredMapping> =
  Layer.unwrapEffect(Effect.map(WritebackSettingsConfig, layerMapped))

/** Settings given directly (tests, benchmarks). */
export const layer = (settings: WritebackSettings): Layer.Layer<WritebackConfig> =>
  Layer.succeed(WritebackConfig, settings)
