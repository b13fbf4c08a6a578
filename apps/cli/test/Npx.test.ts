// `npm exec -- writeback …` (what `npx writeback` runs) under a supervisor that sends SIGTERM
// to npm alone: npm dies without passing it on, and the CLI must still stop starting users,
// print its summary and end, instead of writing on as an orphan.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { generateEmployees, LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { ChildProcess } from "@dfo-writeback/testkit"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { fileURLToPath } from "node:url"
import { bin, jsonLines } from "./CliProcess.js"

const people = generateEmployees({ count: 80, seed: 23 })

const backends = Layer.mergeAll(
  LdapTestbed.layer({ users: people.length, seed: 23 }),
  // DFØ lacks every identifier: each eligible person needs a write.
  DfoEmulator.layer({
    employees: people.flatMap((p) =>
      p.payrollId === undefined
        ? []
        : [makeEmployee({ id: p.payrollId, eksternIdent: null, epost: "", brukerident: null })]
    )
  })
)

/** The workspace root, where `npm exec` finds the `writeback` bin. */
const root = fileURLToPath(new URL("../../..", import.meta.url))

const isWrite = (method: string) => method === "PUT" || method === "PATCH"

/** SIGTERM goes to npm when this many writes have reached DFØ: well inside the writing. */
const signalAtWrite = 6

/**
 * Runs `command args` (which starts the CLI as a grandchild), sends SIGTERM to that command
 * alone once `signalAtWrite` writes have reached DFØ, and waits for every holder of its
 * output (the CLI included) to end.
 */
const parentKilled = (command: string, args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const testbed = yield* LdapTestbed.LdapTestbed
    const emulator = yield* DfoEmulator
    emulator.reset()
    // Slow answers: when the parent is stopped, writes are on their way to DFØ.
    emulator.setFaults({ latencyMs: 300 })
    // Known once the parent has started; the hook below reads it.
    const started: { pid?: number } = {}
    let writes = 0
    emulator.setHooks({
      onRequest: (request) => {
        if (isWrite(request.method) && ++writes === signalAtWrite && started.pid !== undefined) {
          // The parent alone, as `kill <pid>` or systemd's KillMode=process does.
          process.kill(started.pid, "SIGTERM")
        }
      }
    })
    const parent = yield* ChildProcess.start(command, args, {
      cwd: root,
      inheritEnv: false,
      env: {
        ...testbed.environment,
        ...emulator.environment,
        HOME: process.env["HOME"] ?? "/tmp",
        npm_config_update_notifier: "false",
        SAP_MAX_RPS: "100000",
        SAP_CONCURRENCY: "4",
        LOG_FORMAT: "json"
      }
    })
    started.pid = parent.pid
    const finished = yield* parent.exit
    emulator.setHooks({ onRequest: undefined })
    emulator.setFaults({ latencyMs: 0 })
    const written = emulator.log().filter((entry) => isWrite(entry.method))
    const summary = jsonLines(finished.stdout).at(-1)?.["summary"] as
      Record<string, unknown> | undefined
    return { finished, written, summary }
  }).pipe(Effect.provide(ChildProcess.layer))

describe("writeback whose parent is killed (the CLI as a process)", () => {
  layer(backends, { timeout: "180 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.scoped(
        "under npm exec: the CLI sees npm go, stops starting users, prints its summary",
        () =>
          Effect.gen(function* () {
            const { finished, written, summary } = yield* parentKilled("npm", [
              "exec",
              "--offline",
              "--",
              "writeback",
              "run",
              "--process-all",
              "--json"
            ])
            // npm ended by the SIGTERM, as it does: it does not wait for its child.
            assert.notStrictEqual(finished.code, 0, finished.stderr)
            // The CLI stopped as on its own SIGTERM: an interrupted summary counting every write
            // DFØ received, each answered (none cut off mid-request), far from everyone written.
            assert.deepStrictEqual(
              {
                aborted: summary?.["aborted"],
                reason: summary?.["abortReason"],
                updated: Number(summary?.["updated"]),
                cutOff: written.filter((entry) => entry.status === undefined || entry.aborted)
                  .length,
                stoppedEarly: written.length >= signalAtWrite && written.length < people.length / 2
              },
              {
                aborted: true,
                reason: "interrupted",
                updated: written.length,
                cutOff: 0,
                stoppedEarly: true
              },
              finished.stdout
            )
          })
      )

      it.scoped("not started by npm (a shell that ends, as with nohup): the run goes on", () =>
        Effect.gen(function* () {
          // `; :` keeps the shell waiting for the CLI instead of exec-ing it.
          const { finished, written, summary } = yield* parentKilled("/bin/sh", [
            "-c",
            '"$@"; :',
            "sh",
            process.execPath,
            bin,
            "run",
            "--process-all",
            "--json"
          ])
          // The shell did end by the SIGTERM, long before the CLI.
          assert.strictEqual(finished.signal, "SIGTERM", finished.stderr)
          assert.strictEqual(summary?.["aborted"], false)
          assert.isAbove(written.length, people.length / 2)
          assert.strictEqual(Number(summary?.["updated"]), written.length)
        })
      )
    }
  )
})
