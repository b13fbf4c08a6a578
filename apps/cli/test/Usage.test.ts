// The built CLI as a process: what a new operator meets first.
import { ChildProcess } from "@dfo-writeback/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { bin, jsonLines, runCli } from "./CliProcess.js"

/** `writeback-server --help`, the built server as a process. */
const runServerHelp = () =>
  ChildProcess.run(
    process.execPath,
    [fileURLToPath(new URL("../../server/bin/writeback-server.js", import.meta.url)), "--help"],
    { env: {}, inheritEnv: false }
  ).pipe(Effect.provide(ChildProcess.layer), Effect.runPromise)

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

  it.effect("--changed-since: a duration it cannot read, or without --process-all, is 64", () =>
    Effect.gen(function* () {
      const unit = yield* cli(["run", "--process-all", "--changed-since", "15x"], unreachable)
      assert.strictEqual(unit.code, 64)
      assert.include(unit.stderr, "writeback run: --changed-since takes a whole number and a unit")
      const keyed = yield* cli(
        ["run", "--key-field", "username", "--key-value", "a", "--changed-since", "15m"],
        unreachable
      )
      assert.strictEqual(keyed.code, 64)
      assert.include(keyed.stderr, "changed_since_seconds is only allowed with process_all")
      const report = yield* cli(["report", "--changed-since", "2y", "--out", "-"], unreachable)
      assert.strictEqual(report.code, 64)
      assert.include(report.stderr, "writeback report: --changed-since takes")
    })
  )

  it.effect("--wizard and --completions are not offered: usage error 64", () =>
    Effect.gen(function* () {
      const run = yield* cli(["run", "--wizard"])
      assert.strictEqual(run.code, 64)
      assert.include(run.stderr, "unknown option --wizard")
      assert.include(
        run.stderr,
        "usage: writeback run (--key-field FIELD --key-value V | --process-all)"
      )
      const help = yield* cli(["--help"], { NO_COLOR: "1" })
      assert.strictEqual(help.code, 0)
      assert.notInclude(help.stdout, "--wizard")
      assert.notInclude(help.stdout, "--completions")
      // Off a terminal (and with NO_COLOR) the help carries no ANSI escape.
      assert.notMatch(help.stdout, escape)
      // The README shows it as it is.
      const readme = fs.readFileSync(new URL("../../../README.md", import.meta.url), "utf8")
      const shown = readme.slice(readme.indexOf("$ npx writeback --help\n") + 23)
      assert.strictEqual(shown.slice(0, shown.indexOf("```")), help.stdout)
    })
  )

  it.effect("each help fits on one screen, lists --log-level, and no server setting", () =>
    Effect.gen(function* () {
      const screens = [[], ["run"], ["plan"], ["apply"], ["check"], ["report"]]
      const helps = yield* Effect.forEach(screens, (command) => cli([...command, "--help"]), {
        concurrency: 3
      })
      for (const [i, help] of helps.entries()) {
        const what = `writeback ${screens[i]?.join(" ")} --help`
        assert.strictEqual(help.code, 0, what)
        assert.strictEqual(help.stderr, "", what)
        assert.isAtMost(help.stdout.trimEnd().split("\n").length, 40, what)
        assert.include(help.stdout, "--log-level LEVEL", what)
        assert.notInclude(help.stdout, "GRPC_", what)
        assert.notInclude(help.stdout, "This setting is optional", what)
      }
      const [top, run] = helps
      assert.match(top?.stdout ?? "", /^ {2}report {2}list the skipped and failed users/m)
      // Every option `run` declares, one line each, from its declaration.
      for (const option of [
        "--key-field FIELD",
        "--key-value V",
        "--process-all",
        "--log-only",
        "--max-updates N",
        "--json",
        "--log-file FILE",
        "--metrics-file PATH"
      ]) {
        assert.match(run?.stdout ?? "", new RegExp(`^  ${option} +\\S`, "m"), option)
      }
      // `-h` is `--help`, wherever it stands.
      const short = yield* cli(["run", "--process-all", "-h"])
      assert.strictEqual(short.stdout, run?.stdout)
    })
  )

  it.effect("config --help lists the CLI's settings; the server's are in its own help", () =>
    Effect.gen(function* () {
      const config = yield* cli(["config", "--help"])
      assert.strictEqual(config.code, 0)
      for (const name of ["SAP_READ_ONLY", "WRITEBACK_PLAN_MAX_AGE_HOURS", "SAP_API_KEY_FILE"]) {
        assert.include(config.stdout, name)
      }
      assert.notInclude(config.stdout, "GRPC_")
      const server = yield* Effect.promise(() => runServerHelp())
      assert.strictEqual(server.code, 0)
      const [own = "", shared = ""] = server.stdout.split("Shared with the CLI")
      for (const name of ["GRPC_LISTEN", "GRPC_AUTH_TOKENS_FILE", "METRICS_LISTEN"]) {
        assert.include(own, name)
      }
      assert.include(shared, "SAP_READ_ONLY")
      assert.notInclude(shared, "GRPC_")
    })
  )

  it.effect("a usage error says what is wrong in words, the nearest name, and the usage", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
        [
          ["run", "--proces-all"],
          `writeback run: unknown option "--proces-all" (did you mean --process-all?)`
        ],
        [
          ["run", "--process-all", "--max-updates", "abc"],
          `writeback run: --max-updates takes a whole number, not "abc"`
        ],
        [
          ["run", "--process-all", "--concurrency", "abc"],
          `writeback run: unknown option "--concurrency"`
        ],
        [
          ["run", "--key-field", "usrname", "--key-value", "x"],
          `writeback run: --key-field takes username, uh-username, idautoID or employee-id, not "usrname" (did you mean username?)`
        ],
        [["run", "--key-value", "x"], "writeback run: --key-value needs --key-field FIELD"],
        [
          ["run", "--process-all", "--max-updates"],
          "writeback run: --max-updates needs a value (N)"
        ],
        [["run", "--process-all", "--process-all"], "writeback run: --process-all is given twice"],
        [["run", "--process-all", "extra"], `writeback run: run takes no argument, not "extra"`],
        [
          ["plan", "--process-all"],
          "writeback plan: --out FILE is missing: the plan file to write (JSON)"
        ],
        [["apply"], "writeback apply: FILE is missing: a plan file from `writeback plan`"],
        [
          ["report", "--process-all", "--out", "-", "--format", "xml"],
          `writeback report: --format takes csv, markdown or json, not "xml"`
        ]
      ]
      const runs = yield* Effect.forEach(cases, ([args]) => cli(args), { concurrency: 3 })
      for (const [i, run] of runs.entries()) {
        const [args = [], message = ""] = cases[i] ?? []
        const [first, second] = run.stderr.split("\n")
        assert.strictEqual(run.code, 64, args.join(" "))
        assert.strictEqual(first, message)
        assert.match(second ?? "", new RegExp(`^usage: writeback ${args[0]} `), args.join(" "))
        assert.include(run.stderr, `\`writeback ${args[0]} --help\` lists every option.`)
        assert.strictEqual(run.stdout, "")
      }
      const command = yield* cli(["rnu"])
      assert.strictEqual(command.code, 64)
      assert.match(
        command.stderr,
        /^writeback: unknown command "rnu" \(did you mean run\?\)\nusage: writeback run /
      )
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
