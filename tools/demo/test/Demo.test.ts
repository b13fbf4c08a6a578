// `npm run demo` as a newcomer runs it: the built demo, end to end, as a process.
import { ChildProcess } from "@dfo-writeback/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { fileURLToPath } from "node:url"

const demo = fileURLToPath(new URL("../dist/main.js", import.meta.url))

/** Runs the built demo with nothing of this machine's environment but PATH. */
const runDemo = () =>
  ChildProcess.run(process.execPath, [demo], { inheritEnv: false }).pipe(
    Effect.map((end) => ({ code: end.code, output: `${end.stdout}${end.stderr}` })),
    Effect.provide(ChildProcess.layer)
  )

/** The number after `label` in each summary table, in order. */
const column = (output: string, label: string) =>
  [...output.matchAll(new RegExp(`^\\s+${label}\\s+(\\d+)$`, "gm"))].map((m) => Number(m[1]))

/** Step 6: a SCIM event carries a changed e-mail to DFØ; DFØ's echo of it writes nothing. */
const assertEventStep = (output: string) => {
  const step = output.slice(output.indexOf("== 6. Events"))
  assert.match(step, /^== 6\. Events: one change travels from Felles IAM to DFØ/, output)
  const [, , newMail = ""] =
    /work e-mail \(idautoPersonSystem2ID\)\n +(\S+) → (\S+)\n/.exec(step) ?? []
  assert.match(newMail, /^\S+@uni\.no$/, step)
  const put = /DFØ got PUT …\/(\d{8}) \{"epost":"([^"]+)"\} (\d+) ms after the event/.exec(step)
  const [, sapId = "", written, latency] = put ?? []
  assert.strictEqual(written, newMail, step)
  assert.isBelow(Number(latency), 10_000, "the change reaches DFØ within seconds")
  const audit = (phase: string) =>
    new RegExp(
      `^  \\S+ INFO  audit (?=.* caller=events:scim\\b)(?=.* sap_id=${sapId}\\b)(?=.* audit_phase=${phase}\\b)`,
      "m"
    )
  assert.match(step, audit("intent"))
  assert.match(step, audit("done"))
  assert.include(step, `DFØ's epost for ${sapId} is now ${newMail}`)
  assert.match(step, /run finished .*caller=events:dfo .*unchanged=1\b/)
  assert.include(step, 'Nothing written: UNCHANGED, no PUT (DFØ saw {"GET":1})')
  assert.include(step, "writeback-server stopped on SIGTERM (exit 0); RabbitMQ stopped")
  // The broker's URL carries its password: never shown.
  assert.notMatch(output, /amqp:\/\/[^\s@]+:[^\s@]+@/)
}

describe("npm run demo", () => {
  it.live(
    "dry run, real run, idempotent second run, one user, a plan and an event, all exit 0",
    () =>
      Effect.gen(function* () {
        const { code, output } = yield* runDemo()
        assert.strictEqual(code, 0, output)
        const [dryWould, realWould, againWould] = column(output, "would update")
        const [dryUpdated, realUpdated, againUpdated] = column(output, "updated")
        const oneTotal = column(output, "total")[3]
        assert.isAbove(dryWould ?? 0, 0, output)
        assert.strictEqual(dryUpdated, 0)
        assert.strictEqual(realUpdated, dryWould, "the real run writes what the dry run planned")
        assert.strictEqual(realWould, 0)
        assert.strictEqual(againUpdated, 0, "a second run finds nothing to do")
        assert.strictEqual(againWould, 0)
        assert.strictEqual(oneTotal, 1)
        assert.notInclude(output, "demo failed")
        // It shows where brukerident comes from and the hard cases the run meets.
        assert.match(output, /idautoPersonPayrollID \(employee number\) +→ .*brukerident/)
        assert.match(output, /employee number \d{1,7} without leading zeros, DFØ's \d{8}/)
        assert.match(output, /share employee number \d{8}: nothing is written for it/)
        assert.match(output, /idautoPerson\w+ holds \S+ and \S+ \(SKIPPED \/ INVALID_ATTRIBUTES\)/)
        // Every write the real run made is one the population's rules plan.
        const expectedUpdates = Number(/expect (\d+) updates/.exec(output)?.[1])
        assert.strictEqual(realUpdated, expectedUpdates, "the real run writes what the rules plan")
        assert.match(output, /DFØ saw \{"GET":\d+,"PUT":\d+\}/, "the real run writes with PUT only")
        // The reviewed-plan section: the guard trips, the plan is shown, one drifted user is stale.
        assert.match(output, /writeback: MASS_UPDATE_GUARD: /)
        assert.match(output, /\d+ users to write; changes by field: epost \d+/)
        assert.match(
          output,
          /\[PLAN_STALE\] the plan no longer holds: DFØ's epost is now "set-by-hr@uni\.no"/
        )
        assertEventStep(output)
      }),
    180_000
  )
})
