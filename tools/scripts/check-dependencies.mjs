// Fails when a project imports a package its own package.json does not declare. npm
// workspaces hoist every package to the root node_modules, so an undeclared import works
// here by accident and breaks for anyone who installs the project on its own.
// What counts: every import, export-from, import() and require() in the project's `src/`
// (and `bin/`), which must be in its `dependencies` (or `peerDependencies`,
// `optionalDependencies`); its `test/` and root config files may also use its
// `devDependencies` and the root's `devDependencies` (the shared test and build tools).
// Node built-ins and relative imports need nothing. Usage: node check-dependencies.mjs [root]
// (run by `npm run lint`; the root defaults to this repository).
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = resolve(process.argv[2] ?? fileURLToPath(new URL("../..", import.meta.url)))
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"))
const rootPkg = readJson(join(root, "package.json"))
const sourceFile = /\.(?:[cm]?ts|[cm]?js|tsx|jsx)$/
const builtins = new Set(builtinModules)

/** The package a bare specifier names: `effect/Schema` → `effect`, `@a/b/c` → `@a/b`. */
const packageOf = (specifier) => {
  if (specifier.startsWith(".") || specifier.startsWith("/")) return undefined
  if (specifier.startsWith("node:") || builtins.has(specifier)) return undefined
  const parts = specifier.split("/")
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]
  return builtins.has(name) ? undefined : name
}

/** Every file under `dir` that holds code, skipping build output and installed packages. */
const filesUnder = (dir) =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const path = join(dir, entry.name)
        if (entry.isDirectory())
          return ["node_modules", "dist", ".test-results"].includes(entry.name)
            ? []
            : filesUnder(path)
        return sourceFile.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : []
      })
    : []

/** The packages a file imports, with the line of each. */
const importsOf = (file) => {
  const text = readFileSync(file, "utf8")
  const info = ts.preProcessFile(text, true, true)
  return info.importedFiles.flatMap((ref) => {
    const name = packageOf(ref.fileName)
    if (name === undefined) return []
    const line = text.slice(0, ref.pos).split("\n").length
    return [{ name, line }]
  })
}

/** Workspace projects: the directories the root's `workspaces` globs (`dir/*`) name. */
const projects = (rootPkg.workspaces ?? []).flatMap((pattern) => {
  const base = join(root, pattern.replace(/\/\*$/, ""))
  return existsSync(base)
    ? readdirSync(base, { withFileTypes: true })
        .filter(
          (entry) => entry.isDirectory() && existsSync(join(base, entry.name, "package.json"))
        )
        .map((entry) => join(base, entry.name))
    : []
})

const problems = []
for (const dir of projects) {
  const pkg = readJson(join(dir, "package.json"))
  const product = new Set([
    pkg.name,
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
    ...Object.keys(pkg.optionalDependencies ?? {})
  ])
  const forTests = new Set([
    ...product,
    ...Object.keys(pkg.devDependencies ?? {}),
    ...Object.keys(rootPkg.devDependencies ?? {})
  ])
  const configFiles = readdirSync(dir).filter((name) => sourceFile.test(name))
  const groups = [
    { files: [...filesUnder(join(dir, "src")), ...filesUnder(join(dir, "bin"))], allowed: product },
    {
      files: [...filesUnder(join(dir, "test")), ...configFiles.map((name) => join(dir, name))],
      allowed: forTests
    }
  ]
  for (const { files, allowed } of groups) {
    // One problem per missing package, naming where it is first imported.
    const missing = new Map()
    for (const file of files) {
      for (const { name, line } of importsOf(file)) {
        if (allowed.has(name)) continue
        const seen = missing.get(name)
        if (seen === undefined)
          missing.set(name, { at: `${relative(root, file)}:${line}`, more: 0 })
        else seen.more += 1
      }
    }
    const field = allowed === product ? "dependencies" : "devDependencies"
    for (const [name, { at, more }] of missing) {
      const also = more === 0 ? "" : ` and ${more} more`
      problems.push(`${pkg.name} imports ${name} (${at}${also}); declare it in ${field}`)
    }
  }
}

if (problems.length > 0) {
  process.stderr.write(`check-dependencies: undeclared imports\n${problems.join("\n")}\n`)
  process.exit(1)
}
console.log(`check-dependencies: ${projects.length} projects declare what they import`)
