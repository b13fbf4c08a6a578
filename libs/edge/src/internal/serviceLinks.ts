/**
 * The variables Kubernetes puts in a pod's environment for every Service of its namespace
 * (service links, on unless `enableServiceLinks: false`). A Service `sap-gateway` at
 * 10.0.0.1 with port `https` 443/TCP gives:
 *
 *   SAP_GATEWAY_SERVICE_HOST=10.0.0.1           SAP_GATEWAY_PORT=tcp://10.0.0.1:443
 *   SAP_GATEWAY_SERVICE_PORT=443                SAP_GATEWAY_PORT_443_TCP=tcp://10.0.0.1:443
 *   SAP_GATEWAY_SERVICE_PORT_HTTPS=443          SAP_GATEWAY_PORT_443_TCP_PROTO=tcp
 *                                               SAP_GATEWAY_PORT_443_TCP_PORT=443
 *                                               SAP_GATEWAY_PORT_443_TCP_ADDR=10.0.0.1
 *
 * Such a name shares a prefix of ours by accident. It is let through only when its name and
 * value have exactly that shape and the Service's `_SERVICE_HOST` (an IP address) and
 * `_SERVICE_PORT` (its first port) are there and agree with it: a misspelt setting
 * (`SAP_TIMEOUT_MSS`, `SAP_API_KEYS`, `SAP_PROXY_PORT=3128`) never passes for one.
 */
import { isIP } from "node:net"

/** A Service name (a DNS label, at most 63 characters) as kubelet spells it: upper case, `_`. */
const serviceName = /^[A-Z](?:[A-Z0-9_]{0,61}[A-Z0-9])?$/

/** A port's name (an IANA service name, at most 15 characters), spelt the same way. */
const namedPort = /^SERVICE_PORT_[A-Z0-9](?:[A-Z0-9_]{0,13}[A-Z0-9])?$/

const dockerLink = /^PORT_(\d{1,5})_(TCP|UDP|SCTP)(?:_(PROTO|PORT|ADDR))?$/

const isPort = (value: string) => /^[1-9]\d{0,4}$/.test(value) && Number(value) <= 65535

const url = (protocol: string, host: string, port: string) =>
  `${protocol.toLowerCase()}://${isIP(host) === 6 ? `[${host}]` : host}:${port}`

/** Whether `value` is what kubelet writes under `suffix` for a Service at `host`, first `port`. */
const fits = (suffix: string, value: string, host: string, port: string): boolean => {
  if (suffix === "SERVICE_HOST") return value === host
  if (suffix === "SERVICE_PORT") return value === port
  if (suffix === "PORT") return ["TCP", "UDP", "SCTP"].some((p) => value === url(p, host, port))
  if (namedPort.test(suffix)) return isPort(value)
  const link = dockerLink.exec(suffix)
  if (link === null) return false
  const [, linkPort = "", protocol = "", part] = link
  if (!isPort(linkPort)) return false
  switch (part) {
    case "PROTO":
      return value === protocol.toLowerCase()
    case "PORT":
      return value === linkPort
    case "ADDR":
      return value === host
    default:
      return value === url(protocol, host, linkPort)
  }
}

/** Whether `name=value` is a variable Kubernetes injected for a Service named in `env`. */
export const isServiceLink = (
  name: string,
  value: string,
  env: Readonly<Record<string, string | undefined>>
): boolean => {
  // The Service's name may hold `_` itself (`sap-gateway`): try every split.
  for (let at = name.indexOf("_"); at > 0; at = name.indexOf("_", at + 1)) {
    const service = name.slice(0, at)
    if (!serviceName.test(service)) continue
    const host = env[`${service}_SERVICE_HOST`]
    const port = env[`${service}_SERVICE_PORT`]
    if (host === undefined || port === undefined || isIP(host) === 0 || !isPort(port)) continue
    if (fits(name.slice(at + 1), value, host, port)) return true
  }
  return false
}
