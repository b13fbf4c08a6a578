// The intended import graph (eslint.config.mjs, from each project's `nx.tags`) holds: a
// wrong import fails the lint that `npm run lint` runs, a right one passes. Each case is
// linted as a file at that path in this repository, with the repository's configuration.
import { ChildProcess } from "@dfo-writeback/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { ESLint } from "eslint"
import { randomUUID } from "node:crypto"
import { rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const rule = "@nx/enforce-module-boundaries"

/** Lints `import * as imported from "@dfo-writeback/<target>"` as if it were `file`. */
const boundaryErrors = (file: string, target: string) =>
  Effect.promise(async () => {
    const eslint = new ESLint({ cwd: root })
    const code = `import * as imported from "@dfo-writeback/${target}"\n\nexport const used = imported\n`
    const [result] = await eslint.lintText(code, { filePath: join(root, file) })
    return (result?.messages ?? []).filter((m) => m.ruleId === rule).map((m) => m.message)
  })

describe("the import graph, enforced by the lint", () => {
  const wrong: ReadonlyArray<readonly [string, string, string]> = [
    ["product code never imports a tool", "libs/portal-ldap/src/Probe.ts", "ldap-testbed"],
    ["an app's code never imports a tool", "apps/server/src/Probe.ts", "dfo-emulator"],
    ["an app never imports the test kit", "apps/cli/src/Probe.ts", "testkit"],
    ["contract imports no service library", "libs/contract/src/Probe.ts", "writeback"],
    ["contract imports no client", "libs/contract/src/Probe.ts", "dfo-api"],
    ["domain imports no service library", "libs/domain/src/Probe.ts", "portal-ldap"],
    ["domain imports no service library in tests either", "libs/domain/test/Probe.ts", "dfo-api"],
    ["the DFØ client does not know the LDAP client", "libs/dfo-api/src/Probe.ts", "portal-ldap"],
    ["the LDAP client does not know the DFØ client", "libs/portal-ldap/src/Probe.ts", "dfo-api"],
    ["a library never imports an app", "libs/writeback/src/Probe.ts", "server"],
    ["a tool never imports an app", "tools/bench/src/Probe.ts", "cli"],
    ["a test never imports an app", "libs/writeback/test/Probe.ts", "server"],
    // The edge kit is a leaf: every library may build on it, so it may build on none.
    ["the edge kit imports no library", "libs/edge/src/Probe.ts", "domain"],
    ["the edge kit imports no library in tests either", "libs/edge/test/Probe.ts", "domain"],
    ["the domain never imports the edge kit", "libs/domain/src/Probe.ts", "edge"]
  ]
  for (const [title, file, target] of wrong) {
    it.live(`${title}: ${file} → ${target} fails`, () =>
      Effect.gen(function* () {
        const errors = yield* boundaryErrors(file, target)
        assert.lengthOf(errors, 1, `expected a boundary error for ${file} → ${target}`)
      })
    )
  }

  const right: ReadonlyArray<readonly [string, string]> = [
    ["libs/writeback/src/Probe.ts", "portal-ldap"],
    ["libs/writeback/src/Probe.ts", "dfo-api"],
    ["libs/portal-ldap/src/Probe.ts", "domain"],
    ["libs/contract/src/Probe.ts", "domain"],
    ["apps/server/src/Probe.ts", "contract"],
    ["apps/cli/src/Probe.ts", "writeback"],
    ["apps/cli/src/Probe.ts", "edge"],
    ["apps/server/src/Probe.ts", "edge"],
    ["libs/writeback/src/Probe.ts", "edge"],
    ["libs/contract/src/Probe.ts", "edge"],
    ["tools/bench/src/Probe.ts", "edge"],
    ["libs/portal-ldap/test/Probe.ts", "ldap-testbed"],
    ["apps/server/test/Probe.ts", "testkit"],
    ["tools/bench/src/Probe.ts", "writeback"],
    ["tools/demo/src/Probe.ts", "dfo-emulator"]
  ]
  for (const [file, target] of right) {
    it.live(`${file} → ${target} passes`, () =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* boundaryErrors(file, target), [])
      })
    )
  }

  const onDisk: ReadonlyArray<readonly [string, string, string, string]> = [
    [
      "a library file importing a tool",
      "portal-ldap",
      `import { LdapTestbed } from "@dfo-writeback/ldap-testbed"\n\nexport const probe = LdapTestbed\n`,
      'A project tagged with "type:lib" can only depend on libs tagged with "type:lib"'
    ],
    [
      "the edge kit importing a library",
      "edge",
      `import { Outcome } from "@dfo-writeback/domain"\n\nexport const probe = Outcome\n`,
      'A project tagged with "scope:edge" can not depend on libs tagged with "type:lib"'
    ]
  ]
  for (const [title, lib, code, message] of onDisk) {
    it.scopedLive(`eslint, as npm run lint runs it, fails on ${title}`, () =>
      Effect.gen(function* () {
        const file = join(root, "libs", lib, "src", `BoundaryProbe${randomUUID().slice(0, 8)}.ts`)
        yield* Effect.acquireRelease(
          Effect.promise(() => writeFile(file, code)),
          () => Effect.promise(() => rm(file, { force: true }))
        )
        const out = yield* ChildProcess.run(
          process.execPath,
          [join(root, "node_modules", "eslint", "bin", "eslint.js"), "--max-warnings=0", file],
          { cwd: root }
        ).pipe(Effect.provide(ChildProcess.layer))
        assert.strictEqual(out.code, 1, out.stdout + out.stderr)
        assert.include(out.stdout, rule)
        assert.include(out.stdout, message)
      })
    )
  }
})
