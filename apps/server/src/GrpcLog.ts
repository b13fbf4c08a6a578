/**
 * grpc-js's own log lines (its errors, and its traces under `GRPC_TRACE` +
 * `GRPC_VERBOSITY`) through the app's logger, so they come out as the same JSON lines on
 * stdout instead of raw text on stderr.
 */
import * as grpc from "@grpc/grpc-js"
import { Effect } from "effect"
import { format } from "node:util"

const line =
  (log: (message: string) => Effect.Effect<void>) =>
  (...args: ReadonlyArray<unknown>): Effect.Effect<void> =>
    log(format(...args)).pipe(Effect.annotateLogs("source", "grpc-js"))

/** Routes grpc-js's logger through `run` until the scope closes. */
export const install = (run: (effect: Effect.Effect<void>) => void) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const error = line(Effect.logError)
      const info = line(Effect.logInfo)
      const debug = line(Effect.logDebug)
      grpc.setLogger({
        error: (...args: Array<unknown>) => run(error(...args)),
        info: (...args: Array<unknown>) => run(info(...args)),
        debug: (...args: Array<unknown>) => run(debug(...args))
      })
    }),
    () => Effect.sync(() => grpc.setLogger(console))
  )
