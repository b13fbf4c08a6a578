// Fails when the committed generated code differs from what `buf generate` produces now:
// regenerates with the repo's buf.gen.yaml into a temporary directory and compares the trees
// byte for byte. Plain Node, no dependencies (run by `npm run proto:check`).
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../..", import.meta.url))
const bin = join(root, "node_modules", ".bin")
const template = readFileSync(join(root, "buf.gen.yaml"), "utf8")

// Every plugin's `out`, rewritten to the same relative path under the temporary directory.
const outLine = /^(\s*(?:-\s+)?out:\s*)(["']?)([^"'\s#]+)\2\s*(#.*)?$/gm
const outs = [...template.matchAll(outLine)].map((match) => match[3])
if (outs.length === 0) fail("check-generated: no `out:` found in buf.gen.yaml")

const temp = mkdtempSync(join(tmpdir(), "check-generated-"))
let problem
try {
  problem = check(temp)
} finally {
  rmSync(temp, { recursive: true, force: true })
}
if (problem !== undefined) fail(problem)

/** Regenerates under `temp`; returns what is wrong, if anything. */
function check(temp) {
  const rewritten = template.replace(
    outLine,
    (_line, key, _quote, out) => `${key}${JSON.stringify(join(temp, "out", out))}`
  )
  const templatePath = join(temp, "buf.gen.yaml")
  writeFileSync(templatePath, rewritten)

  const buf = existsSync(join(bin, "buf")) ? join(bin, "buf") : "buf"
  const result = spawnSync(buf, ["generate", "--template", templatePath], {
    cwd: root,
    encoding: "utf8",
    // `local:` plugins such as protoc-gen-es live in node_modules/.bin.
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` }
  })
  if (result.error !== undefined || result.status !== 0) {
    process.stderr.write(result.stderr ?? "")
    return `check-generated: buf generate failed${result.error ? `: ${result.error.message}` : ""}`
  }

  const stale = []
  for (const out of outs) {
    const committed = files(join(root, out))
    const fresh = files(join(temp, "out", out))
    for (const [path, bytes] of fresh) {
      const current = committed.get(path)
      if (current === undefined) stale.push(`${join(out, path)} (missing)`)
      else if (!current.equals(bytes)) stale.push(`${join(out, path)} (differs)`)
    }
    for (const path of committed.keys()) {
      if (!fresh.has(path)) stale.push(`${join(out, path)} (not generated)`)
    }
  }
  return stale.length > 0
    ? `generated code is stale: run npm run proto:generate (${stale.join(", ")})`
    : undefined
}

/** Every file under `dir` by its path relative to `dir`; empty if `dir` does not exist. */
function files(dir) {
  const found = new Map()
  if (!existsSync(dir)) return found
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath ?? entry.path, entry.name)
    found.set(relative(dir, path), readFileSync(path))
  }
  return found
}

function fail(message) {
  console.error(message)
  process.exit(1)
}
