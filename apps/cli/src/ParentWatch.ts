/**
 * `npx writeback …` runs npm → `sh -c writeback …` → node. A supervisor's SIGTERM (systemd
 * with `KillMode=process`, a scheduler stopping its job, `kill <npm>`) ends npm, whose shell
 * dies with it, while this process never hears of it: it is handed to init and goes on
 * writing, with no summary (seen with npm 11: npm exits 143, node writes on). What it can see
 * is its parent going away: run by npm, that stands for the SIGTERM npm did not pass on.
 */

/** How often the parent is looked at: `process.ppid` is one `getppid()`, nothing to measure. */
const pollMs = 250

/**
 * How long an orphaned process waits before acting: a Ctrl-C on a terminal reaches node and
 * the shell together, and the shell's end must not count as a second signal (which cuts
 * writes in flight) after node's own SIGINT.
 */
const graceMs = 250

/** Whether npm started this process (`npx`, `npm exec`, `npm run`): npm sets `npm_command`. */
export const underNpm = (env: Readonly<Record<string, string | undefined>>): boolean =>
  (env["npm_command"] ?? "") !== ""

/**
 * Calls `onGone` once when, run by npm, this process's parent has gone (it was re-parented);
 * never otherwise: a program started from a shell that then logs out (`nohup`) keeps going.
 * Returns the function that stops watching.
 */
export const whenOrphaned = (
  env: Readonly<Record<string, string | undefined>>,
  onGone: () => void
): (() => void) => {
  if (!underNpm(env)) return () => undefined
  const parent = process.ppid
  let grace: ReturnType<typeof setTimeout> | undefined
  const poll = setInterval(() => {
    if (process.ppid === parent) return
    clearInterval(poll)
    grace = setTimeout(onGone, graceMs)
    grace.unref()
  }, pollMs)
  // The watch never keeps the process alive on its own.
  poll.unref()
  return () => {
    clearInterval(poll)
    if (grace !== undefined) clearTimeout(grace)
  }
}
