/**
 * The egress proxy settings DFØ requests honour (CONTRACT §6): `HTTPS_PROXY`, `HTTP_PROXY`
 * and `NO_PROXY`, as curl and most tools read them (the lower-case forms too). Read through
 * `Config` like every other setting, so the library never looks at `process.env` and tests
 * give them explicitly.
 */
import { Settings } from "@dfo-writeback/edge"
import { Config, Option, Redacted } from "effect"
import { isHttpUrl } from "./internal/HttpUrl.js"

/** The proxy settings, each declared once (part of `DfoSettings`). */
export const settings = {
  httpsProxy: Settings.setting(
    "HTTPS_PROXY",
    "text",
    undefined,
    "egress proxy for DFØ requests over https (also https_proxy); LDAP is reached directly"
  ),
  httpProxy: Settings.setting(
    "HTTP_PROXY",
    "text",
    undefined,
    "egress proxy for DFØ requests over http"
  ),
  noProxy: Settings.setting("NO_PROXY", "text", undefined, "hosts reached without the proxy")
}

export interface ProxySettings {
  /** Proxy for `https:` DFØ URLs; without it, `httpProxy` is used for them too (undici's rule). */
  readonly httpsProxy?: Redacted.Redacted<string> | undefined
  /** Proxy for `http:` DFØ URLs. */
  readonly httpProxy?: Redacted.Redacted<string> | undefined
  /**
   * Hosts reached directly: comma- or space-separated names (a leading `.` or `*.` covers
   * subdomains), optionally `:port`; `*` for every host.
   */
  readonly noProxy?: string | undefined
}

/** A proxy URL may hold credentials (`http://user:pass@proxy:3128`), so it is a secret. */
const proxyUrl = (name: string) =>
  Config.redacted(name).pipe(
    Config.orElse(() => Config.redacted(name.toLowerCase())),
    Config.validate({
      message: `${name} must be an http(s) URL such as http://proxy.example.no:3128`,
      validation: (url) => isHttpUrl(Redacted.value(url))
    }),
    Config.option,
    Config.map(Option.getOrUndefined)
  )

/** `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` (or `https_proxy`, `http_proxy`, `no_proxy`). */
export const config: Config.Config<ProxySettings> = Config.all({
  httpsProxy: proxyUrl(settings.httpsProxy.name),
  httpProxy: proxyUrl(settings.httpProxy.name),
  noProxy: Config.string(settings.noProxy.name).pipe(
    Config.orElse(() => Config.string(settings.noProxy.name.toLowerCase())),
    Config.option,
    Config.map(Option.getOrUndefined)
  )
})
