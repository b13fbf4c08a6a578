// check-dependencies.mjs as `npm run lint` runs it: over a small workspace written for each
// case, and over this repository.
import { ChildProcess } from "@dfo-writeback/testkit"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const script = fileURLToPath(new URL("../check-dependencies.mjs", import.meta.url))

const check = (root?: string) =>
  ChildProcess.run(process.execPath, root === undefined ? [script] : [script, root]).pipe(
    Effect.provide(ChildProcess.layer)
  )

/** A workspace with one project, `libs/a`, declaring `manifest` and holding `files`. */
const workspace = (manifest: object, files: Readonly<Record<string, string>>) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const root = await mkdtemp(join(tmpdir(), "check-dependencies-"))
      const all: Record<string, string> = {
        "package.json": JSON.stringify({
          workspaces: ["libs/*"],
          dependencies: { ldapts: "*" },
          devDependencies: { vitest: "*" }
        }),
        "libs/a/package.json": JSON.stringify({ name: "@ws/a", ...manifest }),
        ...Object.fromEntries(Object.entries(files).map(([path, text]) => [`libs/a/${path}`, text]))
      }
      for (const [path, text] of Object.entries(all)) {
        await mkdir(dirname(join(root, path)), { recursive: true })
        await writeFile(join(root, path), text)
      }
      return root
    }),
    (root) => Effect.promise(() => rm(root, { recursive: true, force: true }))
  )

const source = {
  "src/A.ts": [
    `import { Schema } from "effect"`,
    `import type { Client } from "ldapts"`,
    `import { readFile } from "node:fs/promises"`,
    `import * as path from "path"`,
    `import { b } from "./b.js"`,
    `export * from "@ws/a/internal"`,
    `// import "in-a-comment"`,
    `export const lazy = () => import("undici/lib")`
  ].join("\n"),
  "test/A.test.ts": `import { it } from "vitest"\nimport { Effect } from "effect"\n`,
  "vitest.config.ts": `import { defineConfig } from "vitest/config"\n`
}

describe("check-dependencies", () => {
  it.scopedLive("names each package a project imports without declaring it, and where", () =>
    Effect.gen(function* () {
      const root = yield* workspace({ dependencies: { effect: "*" } }, source)
      const out = yield* check(root)
      assert.strictEqual(out.code, 1)
      const lines = out.stderr.trim().split("\n").slice(1)
      assert.deepStrictEqual(lines, [
        "@ws/a imports ldapts (libs/a/src/A.ts:2); declare it in dependencies",
        "@ws/a imports undici (libs/a/src/A.ts:8); declare it in dependencies"
      ])
    })
  )

  it.scopedLive("a test may use the project's and the root's devDependencies, src may not", () =>
    Effect.gen(function* () {
      const root = yield* workspace(
        { dependencies: { ldapts: "*", undici: "*" }, devDependencies: { effect: "*" } },
        source
      )
      const out = yield* check(root)
      assert.strictEqual(out.code, 1)
      assert.include(
        out.stderr,
        "@ws/a imports effect (libs/a/src/A.ts:1); declare it in dependencies"
      )
      assert.notInclude(out.stderr, "A.test.ts")
      assert.notInclude(out.stderr, "vitest")
    })
  )

  it.scopedLive("passes when everything imported is declared", () =>
    Effect.gen(function* () {
      const root = yield* workspace(
        { dependencies: { effect: "*", ldapts: "*", undici: "*" } },
        source
      )
      const out = yield* check(root)
      assert.strictEqual(out.code, 0, out.stderr)
      assert.include(out.stdout, "1 projects declare what they import")
    })
  )

  it.live("this repository declares what it imports", () =>
    Effect.gen(function* () {
      const out = yield* check()
      assert.strictEqual(out.code, 0, out.stderr)
    })
  )
})
