/**
 * `--metrics-file PATH`: the run's metrics, in the Prometheus text format, for
 * node_exporter's textfile collector (issue #12). Written when the run ends, however it
 * ends, through a temporary file renamed over PATH, so the collector never reads half a file.
 * Only a full run that may write writes it (`forRun`): the file is the nightly's.
 */
import type { Stats } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Telemetry } from "@dfo-writeback/edge"
import { RunMetrics } from "@dfo-writeback/writeback"
import { Effect, Layer, Metric } from "effect"

const lastSuccessLine = new RegExp(
  `^${RunMetrics.lastSuccessfulFullRunName}(?:\\{[^}]*\\})? (\\S+)$`,
  "m"
)

/** The last successful full run a previous file recorded, if any. */
const previousLastSuccess = (file: string): Effect.Effect<number | undefined> =>
  Effect.promise(() =>
    fs.readFile(file, "utf8").then(
      (text) => {
        const value = Number(lastSuccessLine.exec(text)?.[1])
        return Number.isFinite(value) && value > 0 ? value : undefined
      },
      () => undefined
    )
  )

/**
 * Each CLI run is a new process, so a failed night would drop the time of the last good
 * one; carrying it over keeps "no successful run for 26 h" alerts true.
 */
const carryOverLastSuccess = (file: string) =>
  Effect.gen(function* () {
    const previous = yield* previousLastSuccess(file)
    if (previous === undefined) return
    const current = yield* Metric.value(RunMetrics.lastSuccessfulFullRun)
    if (current.value < previous) yield* Metric.set(RunMetrics.lastSuccessfulFullRun, previous)
  })

/** Not `*.prom`, so the collector ignores it while it is being written. */
const temporaryOf = (file: string) =>
  path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`)

const codeOf = (error: unknown) =>
  error instanceof Error && "code" in error ? String(error.code) : String(error)

const kindOfEntry = (stats: Stats) =>
  stats.isFIFO()
    ? "a FIFO"
    : stats.isCharacterDevice() || stats.isBlockDevice()
      ? "a device node"
      : stats.isDirectory()
        ? "a directory"
        : stats.isSymbolicLink()
          ? "a symbolic link"
          : "not a regular file"

/** What PATH names now; `undefined` when nothing does. */
const entryAt = (file: string): Promise<Stats | undefined> =>
  fs
    .lstat(file)
    .catch((error: unknown) =>
      codeOf(error) === "ENOENT" ? undefined : Promise.reject(error as Error)
    )

const notRegular = (file: string, stats: Stats) =>
  `--metrics-file ${file} is ${kindOfEntry(stats)}: it must be a regular file or not exist yet`

/**
 * Why `file` cannot be the metrics file, checked before the run reads anything: the rename
 * at the end replaces whatever PATH names (as root, `/dev/null` itself), so PATH must be a
 * regular file or not exist yet; and its directory must take a new file (a read-only mount,
 * e.g. under systemd's `ProtectSystem=strict`, would otherwise only show after the run).
 */
export const problem = (file: string): Effect.Effect<string | undefined> =>
  Effect.promise(async () => {
    try {
      const stats = await entryAt(file)
      if (stats !== undefined && !stats.isFile()) return notRegular(file, stats)
    } catch (error) {
      return `--metrics-file ${file}: cannot inspect it (${codeOf(error)})`
    }
    const probe = temporaryOf(file)
    try {
      await (await fs.open(probe, "wx", 0o644)).close()
      await fs.rm(probe, { force: true })
      return undefined
    } catch (error) {
      return `--metrics-file ${file}: cannot create a file in ${path.dirname(file)} (${codeOf(error)})`
    }
  })

/** Writes `text` to `file` atomically: a temporary file beside it, then a rename. */
const writeAtomically = (file: string, text: string) =>
  Effect.tryPromise(async () => {
    const temporary = temporaryOf(file)
    try {
      await fs.writeFile(temporary, text, { mode: 0o644 })
      // Checked at start-up too; something may have taken PATH's place since.
      const current = await entryAt(file)
      if (current !== undefined && !current.isFile()) throw new Error(notRegular(file, current))
      await fs.rename(temporary, file)
    } catch (error) {
      await fs.rm(temporary, { force: true })
      throw error
    }
  })

/** Writes the metrics to `file` when the layer's scope closes, after the run. */
export const layer = (file: string): Layer.Layer<never> =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const metrics = yield* Telemetry.PrometheusMetrics
      yield* Effect.addFinalizer(() =>
        carryOverLastSuccess(file).pipe(
          Effect.zipRight(metrics.render),
          Effect.flatMap((text) => writeAtomically(file, text)),
          // The run's outcome stands; a missing file shows as a stale textfile metric.
          Effect.catchAll((error) =>
            Effect.logError(`cannot write the metrics file ${file}: ${String(error.error)}`)
          )
        )
      )
    })
    // The exporter is loaded only for a run that writes this file.
  ).pipe(Layer.provide(Telemetry.prometheus))
