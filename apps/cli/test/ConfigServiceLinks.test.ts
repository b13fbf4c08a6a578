// The unknown-setting rule and the variables Kubernetes injects for a namespace's Services.
import { assert, describe, it } from "@effect/vitest"
import { Config, Effect } from "effect"
import { WritebackConfig } from "@dfo-writeback/writeback"
import { ConfigSource } from "@dfo-writeback/edge"
import { catalogue } from "../src/Catalogue.js"

const settings = WritebackConfig.WritebackSettingsConfig

/** The problems of reading the settings from `env`; none when it reads. */
const problemsOf = (env: Record<string, string>) =>
  ConfigSource.read(catalogue, settings, env).pipe(
    Effect.match({ onFailure: (error) => [...error.problems], onSuccess: () => [] })
  )

/** What kubelet writes for Service `sap-gateway` at `host`, ports `https` 443/TCP and 8080/UDP. */
const sapGateway = (host: string, bracketed = host) => ({
  SAP_GATEWAY_SERVICE_HOST: host,
  SAP_GATEWAY_SERVICE_PORT: "443",
  SAP_GATEWAY_SERVICE_PORT_HTTPS: "443",
  SAP_GATEWAY_SERVICE_PORT_STATS_UDP: "8080",
  SAP_GATEWAY_PORT: `tcp://${bracketed}:443`,
  SAP_GATEWAY_PORT_443_TCP: `tcp://${bracketed}:443`,
  SAP_GATEWAY_PORT_443_TCP_PROTO: "tcp",
  SAP_GATEWAY_PORT_443_TCP_PORT: "443",
  SAP_GATEWAY_PORT_443_TCP_ADDR: host,
  SAP_GATEWAY_PORT_8080_UDP: `udp://${bracketed}:8080`,
  SAP_GATEWAY_PORT_8080_UDP_PROTO: "udp",
  SAP_GATEWAY_PORT_8080_UDP_PORT: "8080",
  SAP_GATEWAY_PORT_8080_UDP_ADDR: host
})

/** The message a name that is no setting and no service link gets. */
const unknown = (name: string) => (problems: ReadonlyArray<string>) =>
  problems.some((problem) => problem.startsWith(`${name}: unknown setting "${name}"`))

describe("the unknown-setting rule and Kubernetes service links", () => {
  it.effect("ignores every variable of a Service named sap-gateway, IPv4 and IPv6", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* problemsOf(sapGateway("10.0.0.1")), [])
      assert.deepStrictEqual(yield* problemsOf(sapGateway("fd00::1", "[fd00::1]")), [])
      // A Service whose name ends in -service, and one under the WRITEBACK_ prefix.
      assert.deepStrictEqual(
        yield* problemsOf({
          SAP_API_SERVICE_SERVICE_HOST: "10.0.0.9",
          SAP_API_SERVICE_SERVICE_PORT: "80",
          SAP_API_SERVICE_PORT: "tcp://10.0.0.9:80",
          WRITEBACK_DB_SERVICE_HOST: "10.0.0.7",
          WRITEBACK_DB_SERVICE_PORT: "5432",
          WRITEBACK_DB_PORT: "tcp://10.0.0.7:5432",
          PORTAL_LDAP_PROXY_SERVICE_HOST: "10.0.0.8",
          PORTAL_LDAP_PROXY_SERVICE_PORT: "636",
          PORTAL_LDAP_PROXY_PORT_636_TCP_ADDR: "10.0.0.8"
        }),
        []
      )
    })
  )

  it.effect("still refuses misspelt settings beside a Service's variables", () =>
    Effect.gen(function* () {
      const problems = yield* problemsOf({
        ...sapGateway("10.0.0.1"),
        SAP_TIMEOUT_MSS: "5000",
        SAP_API_KEYS: "k",
        SAP_READONLY: "true"
      })
      assert.deepStrictEqual(problems.length, 3, problems.join("\n"))
      assert.isTrue(unknown("SAP_TIMEOUT_MSS")(problems))
      assert.isTrue(unknown("SAP_API_KEYS")(problems))
      assert.isTrue(unknown("SAP_READONLY")(problems))
    })
  )

  it.effect("a name of that shape whose value or Service does not fit is refused", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<Record<string, string>> = [
        // No Service: a host and port of its own do not make a setting of SAP_PROXY_PORT.
        { SAP_PROXY_PORT: "3128" },
        { SAP_PROXY_PORT: "tcp://10.0.0.1:3128" },
        { SAP_GATEWAY_SERVICE_HOST: "10.0.0.1" },
        // The Service's host is no IP address, or its port no port.
        { SAP_GW_SERVICE_HOST: "gw.example.no", SAP_GW_SERVICE_PORT: "443" },
        { SAP_GW_SERVICE_HOST: "10.0.0.1", SAP_GW_SERVICE_PORT: "https" },
        { SAP_GW_SERVICE_HOST: "10.0.0.1", SAP_GW_SERVICE_PORT: "70000" },
        // Values that are not what kubelet writes for that Service.
        { ...sapGateway("10.0.0.1"), SAP_GATEWAY_PORT: "tcp://10.0.0.2:443" },
        { ...sapGateway("10.0.0.1"), SAP_GATEWAY_PORT: "tcp://10.0.0.1:444" },
        { ...sapGateway("10.0.0.1"), SAP_GATEWAY_PORT: "http://10.0.0.1:443" },
        { ...sapGateway("10.0.0.1"), SAP_GATEWAY_PORT_443_TCP: "tcp://10.0.0.1:8443" },
        { ...sapGateway("10.0.0.1"), SAP_GATEWAY_PORT_443_TCP_PROTO: "udp" },
        { ...sapGateway("10.0.0.1"), SAP_GATEWAY_PORT_443_TCP_ADDR: "10.0.0.3" },
        { ...sapGateway("10.0.0.1"), SAP_GATEWAY_PORT_443_TCP_PORT: "8443" },
        { ...sapGateway("10.0.0.1"), SAP_GATEWAY_SERVICE_PORT_HTTPS: "secret-value" },
        // Shapes kubelet never writes.
        { ...sapGateway("10.0.0.1"), SAP_GATEWAY_PORT_443_HTTP: "tcp://10.0.0.1:443" },
        { ...sapGateway("10.0.0.1"), SAP_GATEWAY_PORT_443_TCP_HOST: "10.0.0.1" },
        { ...sapGateway("10.0.0.1"), SAP_GATEWAY_SERVICE_ADDR: "10.0.0.1" }
      ]
      for (const env of cases) {
        const problems = yield* problemsOf(env)
        assert.isNotEmpty(problems, JSON.stringify(env))
        assert.isTrue(
          problems.every((problem) => / unknown setting /.test(problem)),
          problems.join("\n")
        )
      }
    })
  )

  it.effect("a real setting is read as one even beside a Service's variables", () =>
    Effect.gen(function* () {
      const read = yield* ConfigSource.read(catalogue, Config.integer("SAP_TIMEOUT_MS"), {
        ...sapGateway("10.0.0.1"),
        SAP_TIMEOUT_MS: "1234"
      })
      assert.strictEqual(read, 1234)
    })
  )
})
