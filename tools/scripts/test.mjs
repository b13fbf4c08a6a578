// `npm test`'s test step: every project's vitest through Nx, one project after another with
// its usual output, then one closing line with the totals, `N passed, N failed` (and
// `, N skipped` when some were), for people and for CI to read. Each vitest also writes a
// JSON report into its project's `.test-results/` (ignored by git), which this sums.
// Plain Node, no dependencies. Extra arguments go to `nx run-many` (e.g. `-p <project>`).
import { spawn } from "node:child_process"
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../..", import.meta.url))
const reportFile = join(".test-results", "vitest.json")

/** Workspace projects that have a `test` script, as `{ name, dir }`. */
const projects = ["apps", "libs", "tools"].flatMap((group) =>
  readdirSync(join(root, group), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(root, group, entry.name))
    .filter((dir) => existsSync(join(dir, "package.json")))
    .flatMap((dir) => {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
      return pkg.scripts?.test === undefined ? [] : [{ name: pkg.name, dir }]
    })
)

// Reports of an earlier run must not count towards this one.
for (const { dir } of projects) rmSync(join(dir, ".test-results"), { recursive: true, force: true })

const nx = spawn(
  join(root, "node_modules", ".bin", "nx"),
  [
    "run-many",
    "-t",
    "test",
    "--parallel=1",
    "--output-style=static",
    ...process.argv.slice(2),
    "--",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${reportFile}`
  ],
  {
    cwd: root,
    stdio: ["inherit", "pipe", "inherit"],
    // Piped, but still coloured for a person at a terminal.
    env: {
      NX_NO_CLOUD: "true",
      ...(process.stdout.isTTY ? { FORCE_COLOR: "1" } : {}),
      ...process.env
    }
  }
)
// Nx closes every run with advice; for tests run one at a time on purpose it advises more
// parallelism, with a tracking link. Its run summary stays; the advice (and the blank line
// before it) goes.
let blank = 0
let advice = false
createInterface({ input: nx.stdout }).on("line", (line) => {
  if (/^ {2}Recommendations?:/.test(line)) {
    advice = true
    blank = 0
    return
  }
  if (advice && line.startsWith("    ")) return
  advice = false
  if (line.trim() === "") {
    blank += 1
    return
  }
  process.stdout.write("\n".repeat(blank) + line + "\n")
  blank = 0
})
const status = await new Promise((resolve) => nx.on("close", (code) => resolve(code ?? 1)))

let passed = 0
let failed = 0
let skipped = 0
const missing = []
for (const { name, dir } of projects) {
  const file = join(dir, reportFile)
  if (!existsSync(file)) {
    missing.push(name)
    continue
  }
  const report = JSON.parse(readFileSync(file, "utf8"))
  passed += report.numPassedTests
  failed += report.numFailedTests
  skipped += report.numPendingTests + report.numTodoTests
  // A test file that fails to load has no tests to count; it is a failure all the same.
  failed += report.testResults.filter(
    (file) => file.status === "failed" && file.assertionResults.length === 0
  ).length
}

// When Nx failed, a project without a report did not get to run its tests (its build
// failed, or vitest crashed): one failure each, so the line never reads green by omission.
// (With a project selection, the others simply did not run.)
const everyProject = process.argv.length === 2
if (status !== 0 && everyProject && missing.length > 0) {
  console.log(`no test report from ${missing.join(", ")} (each counted as one failure)`)
  failed += missing.length
}
if (status !== 0 && failed === 0) failed = 1

console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`)
process.exit(status)
