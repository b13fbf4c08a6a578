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
 * origin, through a proxy unless `NO_PROXY` names the host), bound to DFØ's origin. Every
 * setting is passed explicitly (`""` is "none"), so undici never falls back to
 * `process.env`. `@effect/platform`'s client sends each request with undici's timeouts
 * switched off (it leaves them to Effect); the pool's own are put back as a backstop
 * behind the per-attempt timeout.
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
  }).compose(
    (dispatch) => (options, handler) =>
      dispatch(
        {
          ...options,
          origin,
          headersTimeout: pool.headersTimeout,
          bodyTimeout: pool.bodyTimeout
        },
        handler
      )
  )
