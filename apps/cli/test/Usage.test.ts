// The built CLI as a process: what a new operator meets first.
import { ChildProcess } from "@dfo-writeback/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { bin, jsonLines, runCli } from "./CliProcess.js"

const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.promise(() => runCli(args, env))

/** Settings whose LDAP and DFØ cannot be reached: the run fails at once, before any write. */
const unreachable = {
  PORTAL_LDAP_URL: "ldap://127.0.0.1:1",
  PORTAL_LDAP_BIND_DN: "cn=writeback,dc=meta",
  PORTAL_LDAP_BIND_PASSWORD: "pw",
  SAP_ANSATT_BASE_URL: "http://127.0.0.1:1/ansatte",
  SAP_API_KEY: "key",
  LOG_FORMAT: "json"
}

// eslint-disable-next-line no-control-regex
const escape = /\u001b/

describe("writeback's command line", () => {
  it.effect("without a subcommand: usage on stderr, exit 64", () =>
    Effect.gen(function* () {
      const run = yield* cli([])
      assert.strictEqual(run.code, 64)
      assert.match(run.stderr, /^usage: writeback run/)
    })
  )

  it.effect("--wizard and --completions are not offered: usage error 64", () =>
    Effect.gen(function* () {
      const run = yield* cli(["run", "--wizard"])
      assert.strictEqual(run.code, 64)
      assert.include(run.stderr, "unknown option --wizard")
      const help = yield* cli(["--help"], { NO_COLOR: "1" })
      assert.strictEqual(help.code, 0)
      assert.notInclude(help.stdout, "--wizard")
      assert.notInclude(help.stdout, "--completions")
      // Off a terminal (and with NO_COLOR) the help carries no ANSI escape.
      assert.notMatch(help.stdout, escape)
      for (const name of [
        "SAP_READ_ONLY",
        "WRITEBACK_PLAN_MAX_AGE_HOURS",
        "GRPC_AUTH_TOKENS_FILE"
      ]) {
        assert.include(help.stdout, name)
      }
    })
  )

  it.effect("--version prints package.json's version", () =>
    Effect.gen(function* () {
      const { version } = JSON.parse(
        fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")
      ) as { version: string }
      const run = yield* cli(["--version"])
      assert.strictEqual(run.code, 0)
      assert.strictEqual(run.stdout.trim(), version)
    })
  )

  it.effect("--log-level sets the level; a failed run's last stderr line says why", () =>
    Effect.gen(function* () {
      const run = yield* cli(["run", "--process-all", "--log-level", "error"], {
        ...unreachable,
        LOG_LEVEL: "debug"
      })
      assert.strictEqual(run.code, 2, run.stderr)
      const lines = run.stderr.trim().split("\n")
      assert.match(lines.at(-1) ?? "", /^writeback: LDAP_CONNECTION_FAILED: connect failed/)
      const logs = jsonLines(lines.slice(0, -1).join("\n"))
      assert.isNotEmpty(logs)
      assert.deepStrictEqual([...new Set(logs.map((line) => line["level"]))], ["error"])
    })
  )

  it.effect("--log-file takes every log line; stderr keeps only the reason", () =>
    Effect.gen(function* () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "writeback-log-"))
      try {
        const file = path.join(dir, "run.log")
        const run = yield* cli(["run", "--process-all", "--log-file", file], unreachable)
        assert.strictEqual(run.code, 2)
        assert.match(run.stderr, /^writeback: LDAP_CONNECTION_FAILED/)
        const logged = jsonLines(fs.readFileSync(file, "utf8"))
        assert.isTrue(logged.some((line) => line["message"] === "run started"))
        assert.isTrue(logged.some((line) => line["code"] === "LDAP_CONNECTION_FAILED"))
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    })
  )

  it.effect("on a terminal, no JSON log line interleaves with the human view", () =>
    Effect.gen(function* () {
      // `script` gives the process a pseudo-terminal, as an operator's shell does.
      const { stdout: output } = yield* ChildProcess.run(
        "script",
        ["-qec", `"${process.execPath}" "${bin}" run --process-all`, "/dev/null"],
        { env: unreachable, inheritEnv: false }
      ).pipe(Effect.provide(ChildProcess.layer))
      assert.include(output, "LDAP_CONNECTION_FAILED")
      assert.notInclude(output, `{"level"`)
      assert.notInclude(output, "run started")
    })
  )
})
