import { Redacted } from "effect"
import { type Dispatcher, EnvHttpProxyAgent, Pool } from "undici"
import type { ProxySettings } from "../HttpProxy.js"

export interface PoolSettings {
  readonly connections: number
  readonly headersTimeout: number
  readonly bodyTimeout: number
}

const reveal = (url: Redacted.Redacted<string> | undefined) =>
  url === undefined ? "" : Redacted.value(url)

/**
 * The DFØ client's connection pool. With a proxy for DFØ's scheme, undici's
 * `EnvHttpProxyAgent` (through the proxy unless `NO_PROXY` names the host), every setting
 * passed explicitly (`""` is "none") so undici never falls back to `process.env`. Without
 * one, the keep-alive `Pool` that agent would pick for DFØ's origin, called directly:
 * measured, the agent's per-request origin parsing and lookup cost 14 µs a request.
 * undici's header and body timeouts stand behind each attempt's own deadline.
 */
export const makeDispatcher = (
  origin: string,
  pool: PoolSettings,
  proxy: ProxySettings = {}
): Dispatcher => {
  const httpProxy = reveal(proxy.httpProxy)
  // undici's rule: an https: URL goes through HTTPS_PROXY, else HTTP_PROXY.
  const proxied =
    new URL(origin).protocol === "https:" ? reveal(proxy.httpsProxy) || httpProxy : httpProxy
  if (proxied === "") return new Pool(origin, pool)
  return new EnvHttpProxyAgent({
    ...pool,
    httpProxy,
    httpsProxy: reveal(proxy.httpsProxy),
    noProxy: proxy.noProxy ?? ""
  })
}
