import { Redacted } from "effect"
import { type Dispatcher, EnvHttpProxyAgent } from "undici"
import type { ProxySettings } from "../HttpProxy.js"

export interface PoolSettings {
  readonly connections: number
  readonly headersTimeout: number
  readonly bodyTimeout: number
}

const reveal = (url: Redacted.Redacted<string> | undefined) =>
  url === undefined ? "" : Redacted.value(url)

/**
 * The DFØ client's connection pool: undici's `EnvHttpProxyAgent` (a keep-alive pool per
 * origin, through a proxy unless `NO_PROXY` names the host), bound to DFØ's origin so
 * requests name only their path, as they did against a plain `Pool`. Every setting is
 * passed explicitly (`""` is "none"), so undici never falls back to `process.env`.
 */
export const makeDispatcher = (
  origin: string,
  pool: PoolSettings,
  proxy: ProxySettings = {}
): Dispatcher =>
  new EnvHttpProxyAgent({
    ...pool,
    httpProxy: reveal(proxy.httpProxy),
    httpsProxy: reveal(proxy.httpsProxy),
    noProxy: proxy.noProxy ?? ""
  }).compose((dispatch) => (options, handler) => dispatch({ ...options, origin }, handler))
