// Fails when an installed package does not support every Node.js version we support (the
// lowest of each major in the root package's `engines`): a dependency that needs Node 22
// or later stays out until Node 20 support is dropped on purpose (issue #12).
import { readFileSync } from "node:fs"

const lock = JSON.parse(readFileSync(new URL("../../package-lock.json", import.meta.url), "utf8"))
const root = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"))

/** `1.2.3`, `1.2`, `1`, `1.*` → [1, 2, 3] (missing parts 0). */
const parse = (text) => {
  const match = /^v?(\d+)(?:\.(\d+|\*|x))?(?:\.(\d+|\*|x))?$/.exec(text)
  if (match === null) return undefined
  return [match[1], match[2], match[3]].map((part) => (/^\d+$/.test(part ?? "") ? Number(part) : 0))
}

const compare = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]

/** Whether `version` satisfies one comparator; throws on syntax this checker does not know. */
const satisfiesComparator = (version, comparator) => {
  if (comparator === "*" || comparator === "x") return true
  const match = /^(>=|<=|>|<|\^|~|=)?\s*(.+)$/.exec(comparator)
  const bound = match && parse(match[2])
  if (!match || bound === undefined) throw new Error(`unknown range syntax: ${comparator}`)
  const wildcard = /^(\d+)(\.(\*|x))?$/.test(match[2]) || /^\d+\.\d+\.(\*|x)$/.test(match[2])
  const order = compare(version, bound)
  switch (match[1] ?? "=") {
    case ">=":
      return order >= 0
    case ">":
      return order > 0
    case "<=":
      return order <= 0
    case "<":
      return order < 0
    case "^":
      return order >= 0 && version[0] === bound[0] && (bound[0] > 0 || version[1] === bound[1])
    case "~":
      return order >= 0 && version[0] === bound[0] && version[1] === bound[1]
    case "=": {
      const parts = match[2].split(".").filter((part) => /^\d+$/.test(part)).length
      return wildcard || parts < 3
        ? bound.slice(0, parts).every((part, index) => version[index] === part)
        : order === 0
    }
  }
  return false
}

const satisfies = (version, range) =>
  range.split("||").some((clause) =>
    clause
      .trim()
      .replace(/(>=|<=|>|<)\s+/g, "$1")
      .split(/\s+/)
      .filter((comparator) => comparator !== "")
      .every((comparator) => satisfiesComparator(version, comparator))
  )

/** The lowest version of each supported major: `^20.19.0 || ^22.12.0 || ^24.0.0` → 20.19.0, … */
const supported = root.engines.node.split("||").map((clause) => {
  const version = parse(clause.trim().replace(/^[\^~>=]+/, ""))
  if (version === undefined) throw new Error(`cannot read engines.node: ${root.engines.node}`)
  return version
})

const problems = []
for (const [path, entry] of Object.entries(lock.packages)) {
  const range = entry.engines?.node
  if (path === "" || typeof range !== "string") continue
  for (const version of supported) {
    if (!satisfies(version, range)) {
      problems.push(`${path}: engines.node "${range}" excludes Node ${version.join(".")}`)
    }
  }
}
if (problems.length > 0) {
  console.error(
    `dependencies that do not support every Node.js version in engines:\n${problems.join("\n")}`
  )
  process.exit(1)
}
console.log(
  `engines: every dependency supports Node ${supported.map((v) => v.join(".")).join(", ")}`
)
