/**
 * `--metrics-file PATH`: the run's metrics, in the Prometheus text format, for
 * node_exporter's textfile collector (issue #12). Written when the run ends, however it
 * ends, through a temporary file renamed over PATH, so the collector never reads half a file.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { RunMetrics, Telemetry } from "@dfo-writeback/edge"
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

/** Writes `text` to `file` atomically: a temporary file beside it, then a rename. */
const writeAtomically = (file: string, text: string) =>
  Effect.tryPromise(async () => {
    // Not `*.prom`, so the collector ignores it while it is being written.
    const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`)
    try {
      await fs.writeFile(temporary, text, { mode: 0o644 })
      await fs.rename(temporary, file)
    } catch (error) {
      await fs.rm(temporary, { force: true })
      throw error
    }
  })

/** Writes the metrics to `file` when the layer's scope closes, after the run. */
export const layer = (file: string): Layer.Layer<never, never, Telemetry.PrometheusMetrics> =>
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
  )
