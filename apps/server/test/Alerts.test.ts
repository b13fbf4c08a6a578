// The alert rules shipped in deploy/prometheus (issue #20), run through the real `promtool`:
// each alert fires for the failures that matter, from series as the server and the CLI's
// textfile now write them, and stays silent on good nights. The Prometheus operator's
// PrometheusRule and the README's example carry exactly the same rules.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Apt, ChildProcess, Executables } from "@dfo-writeback/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const rulesFile = join(root, "deploy/prometheus/dfo-writeback.rules.yml")
const ruleTests = fileURLToPath(new URL("alerts/dfo-writeback.rules.test.yml", import.meta.url))
const rules = readFileSync(rulesFile, "utf8")

const installHint =
  "promtool is not installed: run `sudo apt-get install -y prometheus` (Debian/Ubuntu)"

/** `promtool`, installed from the distribution's `prometheus` package when missing and root. */
const ensurePromtool =
  Executables.locate("promtool") === undefined
    ? Apt.install(["prometheus"], installHint)
    : Effect.void

const promtool = (...args: ReadonlyArray<string>) =>
  Effect.map(ChildProcess.run("promtool", args), (result) => ({
    code: result.code,
    output: `${result.stdout}${result.stderr}`
  }))

/** The PrometheusRule of the operator: the rules file's groups under `spec`. */
const prometheusRuleOf = (text: string) => {
  const groups = text.slice(text.indexOf("\ngroups:\n") + 1)
  return [
    "# deploy/prometheus/dfo-writeback.rules.yml for the Prometheus operator: the same groups,",
    "# under spec (apps/server/test/Alerts.test.ts fails when they differ). Label it as your",
    "# Prometheus' ruleSelector asks.",
    "apiVersion: monitoring.coreos.com/v1",
    "kind: PrometheusRule",
    "metadata:",
    "  name: dfo-writeback",
    "  labels:",
    "    app.kubernetes.io/name: dfo-writeback",
    "spec:",
    ...groups
      .trimEnd()
      .split("\n")
      .map((line) => (line === "" ? line : `  ${line}`)),
    ""
  ].join("\n")
}

describe("the alert rules (deploy/prometheus)", () => {
  it.live(
    "promtool check rules accepts the file, and promtool test rules passes every case",
    () =>
      Effect.gen(function* () {
        yield* ensurePromtool
        const check = yield* promtool("check", "rules", rulesFile)
        assert.strictEqual(check.code, 0, check.output)
        const tests = yield* promtool("test", "rules", ruleTests)
        assert.strictEqual(tests.code, 0, tests.output)
        assert.include(tests.output, "SUCCESS")
      }).pipe(Effect.provide(ChildProcess.layer)),
    900_000
  )

  it("deploy/kubernetes/prometheusrule.yaml holds the same rules", () => {
    const file = readFileSync(join(root, "deploy/kubernetes/prometheusrule.yaml"), "utf8")
    assert.strictEqual(file, prometheusRuleOf(rules))
  })

  it("the README's example alerts are the rules file", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8")
    assert.include(readme, `\`\`\`yaml\n${rules}\`\`\`\n`)
  })
})
