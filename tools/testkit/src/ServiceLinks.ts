/**
 * The variables kubelet puts in a pod's environment for a Service of its namespace (service
 * links, `enableServiceLinks` on by default), spelt as kubelet spells them, so a test can
 * start a process as Kubernetes would.
 */
import { isIP } from "node:net"

export interface ServicePort {
  readonly name?: string
  readonly port: number
  readonly protocol?: "TCP" | "UDP" | "SCTP"
}

const envName = (name: string) => name.toUpperCase().replace(/-/g, "_")

/** `environment("sap-gateway", "10.0.0.1", [{ name: "https", port: 443 }])`. */
export const environment = (
  service: string,
  clusterIP: string,
  ports: ReadonlyArray<ServicePort>
): Record<string, string> => {
  const prefix = envName(service)
  const env: Record<string, string> = { [`${prefix}_SERVICE_HOST`]: clusterIP }
  const host = isIP(clusterIP) === 6 ? `[${clusterIP}]` : clusterIP
  ports.forEach(({ name, port, protocol = "TCP" }, index) => {
    if (index === 0) env[`${prefix}_SERVICE_PORT`] = String(port)
    if (name !== undefined) env[`${prefix}_SERVICE_PORT_${envName(name)}`] = String(port)
    const url = `${protocol.toLowerCase()}://${host}:${port}`
    if (index === 0) env[`${prefix}_PORT`] = url
    const link = `${prefix}_PORT_${port}_${protocol}`
    env[link] = url
    env[`${link}_PROTO`] = protocol.toLowerCase()
    env[`${link}_PORT`] = String(port)
    env[`${link}_ADDR`] = clusterIP
  })
  return env
}
