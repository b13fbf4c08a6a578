// What a CLI process loads (issue #21 point 8): the OpenTelemetry SDK only with a collector
// or a metrics file, the protobuf code only for --json. Each loaded module is recorded by
// a module hook the process is started with.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { runCli } from "./CliProcess.js"

/** The settings of a run whose LDAP cannot be reached: it fails at once, having loaded all it needs. */
const unreachable = {
  PORTAL_LDAP_URL: "ldap://127.0.0.1:1",
  PORTAL_LDAP_BIND_DN: "cn=writeback,dc=meta",
  PORTAL_LDAP_BIND_PASSWORD: "pw",
  SAP_ANSATT_BASE_URL: "http://127.0.0.1:1/ansatte",
  SAP_API_KEY: "key"
}

/** The packages a `writeback` process with `args` loaded. */
const packagesLoaded = (args: ReadonlyArray<string>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "loading-"))),
    (dir) =>
      Effect.promise(async () => {
        const list = path.join(dir, "loaded.txt")
        const hooks = path.join(dir, "hooks.mjs")
        fs.writeFileSync(
          hooks,
          `import { appendFileSync } from "node:fs"\n` +
            `export async function load(url, context, next) {\n` +
            `  appendFileSync(${JSON.stringify(list)}, url + "\\n")\n` +
            `  return next(url, context)\n}\n`
        )
        const register = path.join(dir, "register.mjs")
        fs.writeFileSync(
          register,
          `import { register } from "node:module"\nregister(${JSON.stringify(`file://${hooks}`)})\n`
        )
        const run = await runCli(args, { ...unreachable, NODE_OPTIONS: `--import=${register}` })
        const packages = fs
          .readFileSync(list, "utf8")
          .split("\n")
          .flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? [])
        return { code: run.code, packages: new Set(packages) }
      }),
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )

const otel = (packages: ReadonlySet<string>) =>
  [...packages].filter((name) => name.startsWith("@opentelemetry/"))

describe("what a writeback process loads", () => {
  it.effect(
    "a run without a collector, a metrics file or --json loads no exporter or protobuf",
    () =>
      Effect.gen(function* () {
        const { code, packages } = yield* packagesLoaded(["run", "--process-all"])
        assert.strictEqual(code, 2)
        assert.isTrue(packages.has("ldapts"), "the run got as far as LDAP")
        assert.deepStrictEqual(otel(packages), [])
        assert.isFalse(packages.has("@bufbuild/protobuf"))
      })
  )

  it.effect("--json loads the protobuf code", () =>
    Effect.gen(function* () {
      const { code, packages } = yield* packagesLoaded(["run", "--process-all", "--json"])
      assert.strictEqual(code, 2)
      assert.isTrue(packages.has("@bufbuild/protobuf"))
      assert.deepStrictEqual(otel(packages), [])
    })
  )
})
