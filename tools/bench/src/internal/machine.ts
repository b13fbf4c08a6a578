import { execFileSync } from "node:child_process"
import { cpus, loadavg, totalmem } from "node:os"

export interface Machine {
  readonly cpuModel: string
  readonly cpuCount: number
  readonly totalMemGb: number
  readonly node: string
  /** 1, 5 and 15 minutes, when the bench started: the machine may be shared. */
  readonly loadAverage: ReadonlyArray<number>
  /** `git rev-parse --short HEAD`, with `-dirty` when the tree has changes. */
  readonly commit: string
  readonly date: string
}

const git = (root: string, args: ReadonlyArray<string>): string | undefined => {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: "pipe" }).trim()
  } catch {
    return undefined
  }
}

export const describeMachine = (root: string): Machine => {
  const cores = cpus()
  const head = git(root, ["rev-parse", "--short", "HEAD"]) ?? "unknown"
  const dirty = (git(root, ["status", "--porcelain"]) ?? "") !== ""
  return {
    cpuModel: cores[0]?.model.trim() ?? "unknown",
    cpuCount: cores.length,
    totalMemGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
    commit: dirty ? `${head}-dirty` : head,
    date: new Date().toISOString()
  }
}
