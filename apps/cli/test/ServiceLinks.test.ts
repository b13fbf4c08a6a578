// The built CLI in a pod's environment: beside the variables Kubernetes injects for Services.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { generateEmployees, LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { ServiceLinks } from "@dfo-writeback/testkit"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { jsonLines, runCli } from "./CliProcess.js"

const people = generateEmployees({ count: 5, seed: 8 })

const backends = Layer.mergeAll(
  LdapTestbed.layer({ users: people.length, seed: 8 }),
  DfoEmulator.layer({
    employees: people.flatMap((p) =>
      p.payrollId === undefined ? [] : [makeEmployee({ id: p.payrollId })]
    )
  })
)

/** What kubelet adds for Services named `sap-gateway`, `portal-ldap-proxy` and `writeback-db`. */
const links = {
  ...ServiceLinks.environment("sap-gateway", "10.0.0.1", [{ name: "https", port: 443 }]),
  ...ServiceLinks.environment("portal-ldap-proxy", "fd00::10", [{ name: "ldaps", port: 636 }]),
  ...ServiceLinks.environment("writeback-db", "10.0.0.7", [{ port: 5432, protocol: "TCP" }])
}

describe("writeback in a Kubernetes pod", () => {
  layer(backends, { timeout: "120 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect("runs beside Service variables; a misspelt setting among them still exits 2", () =>
        Effect.gen(function* () {
          const testbed = yield* LdapTestbed.LdapTestbed
          const emulator = yield* DfoEmulator
          const env: Record<string, string> = {
            ...testbed.environment,
            ...emulator.environment,
            SAP_MAX_RPS: "100000",
            LOG_FORMAT: "json",
            ...links
          }
          assert.strictEqual(env["SAP_GATEWAY_SERVICE_HOST"], "10.0.0.1")
          const args = ["run", "--process-all", "--log-only", "--json"]
          const run = yield* Effect.promise(() => runCli(args, env))
          assert.strictEqual(run.code, 0, run.stderr)
          const summary = jsonLines(run.stdout).at(-1)?.["summary"] as Record<string, unknown>
          assert.strictEqual(summary["total"], people.length)
          assert.isAbove(emulator.log().length, 0, "the run read DFØ")
          emulator.resetLog()

          const misspelt = yield* Effect.promise(() =>
            runCli(args, { ...env, SAP_TIMEOUT_MSS: "5000" })
          )
          assert.strictEqual(misspelt.code, 2, misspelt.stderr)
          assert.include(misspelt.stderr, "SAP_TIMEOUT_MSS: unknown setting")
          assert.notInclude(misspelt.stderr, "SAP_GATEWAY")
          assert.deepStrictEqual(emulator.log(), [], "the refused run asked DFØ nothing")
        })
      )
    }
  )
})
