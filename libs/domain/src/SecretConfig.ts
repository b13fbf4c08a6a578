import { Config, type Redacted } from "effect"

/**
 * A secret setting. Its `NAME_FILE` form (CONTRACT §6) is resolved by the apps'
 * ConfigProvider, which reads the file; libs only ever see the redacted value.
 */
export const secretConfig = (name: string): Config.Config<Redacted.Redacted<string>> =>
  Config.redacted(name)
