import { Settings } from "@dfo-writeback/edge"
import { settings as options } from "./DfoOptions.js"
import { settings as proxy } from "./HttpProxy.js"

/** An option of the client's table that a variable sets, as the catalogue shows it. */
const declared = <T extends Settings.SettingType, const D extends Settings.ValueOf<T> | undefined>(
  option: {
    readonly env: string
    readonly default: D
    readonly meaning: string
    readonly secret?: true
  },
  type: T
): Settings.Declared<T, D> =>
  Settings.setting(option.env, type, option.default, option.meaning, option.secret === true)

/**
 * The DFØ client's settings (CONTRACT §6): the options of `DfoOptions.settings` that a
 * variable sets, with their defaults and meanings from there, and the proxy's.
 */
export const settings = {
  baseUrl: declared(options.baseUrl, "text"),
  apiKey: declared(options.apiKey, "text"),
  updateMethod: declared(options.updateMethod, "text"),
  maxRps: declared(options.maxRps, "number"),
  timeoutMs: declared(options.timeoutMs, "integer"),
  maxRetries: declared(options.maxRetries, "integer"),
  retryBaseMs: declared(options.retryBaseMs, "integer"),
  maxListBytes: declared(options.maxListBytes, "integer"),
  ...proxy
}
