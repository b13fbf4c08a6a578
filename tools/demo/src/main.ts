// `npm run demo`: the whole job on a laptop. A throw-away slapd with 200 people of the
// shared population, the DFØ emulator holding their HR records (most in sync, a few stale),
// then the CLI: a dry run, the real run, and a second run that finds nothing to do; last,
// writeback-server consuming a throw-away RabbitMQ carries one change from an event to DFØ.
import { startEmulator } from "@dfo-writeback/dfo-emulator"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { ChildProcess } from "@dfo-writeback/testkit"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as EventStep from "./EventStep.js"
import { explain, oddEntries, population, rules } from "./Scenario.js"

const cli = fileURLToPath(new URL("../../../apps/cli/bin/writeback.js", import.meta.url))

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text)

const writeback = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv) =>
  new Promise<number>((resolve, reject) => {
    console.log(bold(`\n$ writeback ${args.join(" ")}`))
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: "inherit" })
    child.on("error", reject)
    child.on("exit", (code) => resolve(code ?? 1))
  })

const main = async () => {
  console.log(bold("Starting a throw-away Portal LDAP (slapd) and the DFØ emulator..."))
  const testbed = await LdapTestbed.start({ population, entries: oddEntries })
  const emulator = await startEmulator({ employees: population.dfoRecords })
  try {
    console.log(
      `Portal LDAP  ${testbed.url} (${testbed.employees.length + oddEntries.length} accounts)`
    )
    console.log(`DFØ API      ${emulator.baseUrl} (${emulator.employees().length} employees)`)
    console.log(`\n${explain().join("\n")}`)
    const settings: Record<string, string> = {
      ...testbed.environment,
      ...emulator.environment,
      SAP_WRITEBACK_BRUKERIDENT: String(rules.writebackBrukerident),
      SAP_WRITEBACK_BUSINESS_ROLE_EXCEPTION: rules.businessRoleExceptions.join(","),
      SAP_MAX_RPS: "200"
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...settings,
      LOG_LEVEL: process.env["LOG_LEVEL"] ?? "warn",
      LOG_FORMAT: process.env["LOG_FORMAT"] ?? "text"
    }
    const steps: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
      [
        "1. Dry run: what would change (nothing is written)",
        ["run", "--process-all", "--log-only"]
      ],
      ["2. The real run", ["run", "--process-all"]],
      ["3. Again: everything is already in DFØ", ["run", "--process-all"]],
      [
        "4. One user, as a workflow would ask over gRPC",
        ["run", "--key-field", "idautoID", "--key-value", testbed.employees[0]?.idautoId ?? ""]
      ]
    ]
    for (const [title, args] of steps) {
      console.log(bold(`\n== ${title}`))
      emulator.resetLog()
      const code = await writeback(args, env)
      const stats = emulator.stats()
      console.log(`exit code ${code}; DFØ saw ${JSON.stringify(stats.byMethod)}`)
      if (code !== 0) process.exitCode = code
    }

    // A reviewed plan: a night with many differences trips the mass-update guard; the
    // operator plans, reviews the table, and applies exactly that plan. One record changed
    // in between is not overwritten: it is SKIPPED / PLAN_STALE.
    console.log(bold("\n== 5. A night with many differences: a reviewed plan"))
    let moved = 0
    for (const employee of emulator.employees()) {
      const epost = employee["epost"]
      if (typeof epost === "string" && epost.includes("@") && moved < 40) {
        emulator.updateEmployee(employee.id, { epost: epost.replace(/@.*/, "@old-domain.example") })
        moved += 1
      }
    }
    console.log(`DFØ's epost of ${moved} employees moved to another domain meanwhile.`)
    const planFile = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), "writeback-demo-")),
      "plan.json"
    )
    const planSteps: ReadonlyArray<
      readonly [string, ReadonlyArray<string>, number, (() => void)?]
    > = [
      [
        "5a. The run stops at the mass-update guard (exit 2)",
        ["run", "--process-all", "--max-updates", "10"],
        2
      ],
      [
        "5b. Plan instead, and review it as a table",
        ["plan", "--process-all", "--out", planFile, "--format", "table"],
        0
      ],
      [
        "5c. Apply exactly the reviewed plan (one record changed in DFØ since: PLAN_STALE)",
        ["apply", planFile],
        0,
        () => {
          const plan = JSON.parse(fs.readFileSync(planFile, "utf8")) as {
            readonly users: ReadonlyArray<{ readonly sap_id: string }>
          }
          const changed = plan.users[0]?.sap_id
          if (changed !== undefined) {
            emulator.updateEmployee(changed, { epost: "set-by-hr@uni.no" })
            console.log(`DFØ's employee ${changed} got epost "set-by-hr@uni.no" after the review.`)
          }
        }
      ]
    ]
    for (const [title, args, expected, before] of planSteps) {
      console.log(bold(`\n== ${title}`))
      before?.()
      emulator.resetLog()
      const code = await writeback(args, env)
      console.log(`exit code ${code}; DFØ saw ${JSON.stringify(emulator.stats().byMethod)}`)
      if (code !== expected) process.exitCode = code === 0 ? 1 : code
    }

    console.log(bold("\n== 6. Events: one change travels from Felles IAM to DFØ"))
    await Effect.runPromise(
      EventStep.run({ testbed, emulator, settings, print: (line) => console.log(line) }).pipe(
        Effect.catchAll((error) =>
          Effect.sync(() => {
            console.error(`demo failed: ${error.message}`)
            process.exitCode = 1
          })
        ),
        Effect.provide(ChildProcess.layer)
      )
    )
  } finally {
    await emulator.stop()
    await testbed.stop()
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
})
