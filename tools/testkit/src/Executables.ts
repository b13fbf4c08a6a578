/** Finding the programs a testbed runs (slapd, rabbitmq-server), which may sit outside PATH. */
import { accessSync, constants } from "node:fs"
import { delimiter, join } from "node:path"

const can = (path: string, mode: number) => {
  try {
    accessSync(path, mode)
    return true
  } catch {
    return false
  }
}

/** Whether `path` exists and this process may run it. */
export const isExecutable = (path: string): boolean => can(path, constants.X_OK)

/** Whether `path` exists and this process may read it. */
export const isReadable = (path: string): boolean => can(path, constants.R_OK)

/** The first runnable `name` in PATH, then in `extraDirs` (e.g. the sbin directories). */
export const locate = (name: string, extraDirs: ReadonlyArray<string> = []): string | undefined =>
  [...(process.env["PATH"] ?? "").split(delimiter), ...extraDirs]
    .filter((dir) => dir !== "")
    .map((dir) => join(dir, name))
    .find(isExecutable)
