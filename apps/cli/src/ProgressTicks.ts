import type { Writeback } from "@dfo-writeback/writeback"
import { Clock, Duration, Effect, Schedule, Stream } from "effect"
import type * as Output from "./Output.js"
import * as Progress from "./Progress.js"
import type * as RunView from "./RunView.js"

/** Off a terminal, a `progress` log line this often during a full run. */
const logEvery = Duration.seconds(10)
/** On a terminal, the progress line is redrawn this often between results (its estimate). */
const drawEvery = Duration.seconds(1)

/** A tick of the progress clock, beside the run's events: what the run has counted then. */
export interface Tick {
  readonly _tag: "Tick"
  readonly counted: Writeback.Counted | undefined
}

/**
 * A full run's progress clock: on a terminal it redraws the progress line each second,
 * elsewhere it logs a `progress` line every 10 s. A single-user run has none.
 */
export const ticks = (
  processAll: boolean,
  terminal: boolean,
  counted: Effect.Effect<Writeback.Counted | undefined>
): Stream.Stream<Tick> =>
  processAll
    ? Stream.repeatEffectWithSchedule(
        Effect.map(counted, (now): Tick => ({ _tag: "Tick", counted: now })),
        Schedule.spaced(terminal ? drawEvery : logEvery)
      ).pipe(Stream.drop(1))
    : Stream.empty

/** What a tick shows: the progress line on a terminal, else a `progress` log line. */
export const show =
  (terminal: boolean, output: Output.Output, startedAt: number) =>
  (view: RunView.View): Effect.Effect<void> =>
    terminal
      ? Effect.sync(() => output.progress(view))
      : Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.logInfo("progress").pipe(
            Effect.annotateLogs({
              run_id: view.runId,
              ...Progress.fields(Progress.at(view, startedAt, now))
            })
          )
        )
