/**
 * DfoEmployees.get throughput against the emulator, and what the client (rate limiter,
 * retry schedule, timeout, schema decoding) costs over raw undici `request()` on one
 * keep-alive Pool doing the same GETs at the same concurrency.
 */
import { DfoEmployees, DfoMetrics } from "@dfo-writeback/dfo-api"
import { Effect } from "effect"
import { Pool } from "undici"
import type { DfoBackend, Measured } from "../internal/protocol.js"
import { timed } from "../internal/timed.js"
import { perSecond } from "../internal/timing.js"

const warmUp = 50
const rounds = 2

/** `concurrency` workers taking the next id until `requests` GETs are done. */
const rawGets = async (
  pool: Pool,
  paths: ReadonlyArray<string>,
  requests: number,
  concurrency: number,
  headers: Record<string, string>
) => {
  let next = 0
  const worker = async () => {
    while (next < requests) {
      const path = paths[next++ % paths.length] as string
      const { statusCode, body } = await pool.request({ method: "GET", path, headers })
      // The client parses every answer; the floor has to read and parse it too.
      const json = (await body.json()) as { ansatt?: ReadonlyArray<unknown> }
      if (statusCode !== 200 || json.ansatt?.length !== 1) {
        throw new Error(`GET ${path} answered ${statusCode}`)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

export const dfoClient = (
  dfo: DfoBackend,
  ids: ReadonlyArray<string>,
  requests: number,
  concurrencies: ReadonlyArray<number>
): Effect.Effect<Measured, unknown> =>
  Effect.scoped(
    Effect.gen(function* () {
      const client = yield* DfoEmployees.make({
        baseUrl: dfo.baseUrl,
        apiKey: dfo.apiKey,
        maxRps: Infinity
      })
      const base = new URL(dfo.baseUrl)
      const pool = yield* Effect.acquireRelease(
        Effect.sync(() => new Pool(base.origin, { connections: 64 })),
        (p) => Effect.promise(() => p.close())
      )
      const paths = ids.map((id) => `${base.pathname.replace(/\/+$/, "")}/${id}`)
      const headers = { accept: "application/json", "x-gravitee-api-key": dfo.apiKey }
      // The same shape as `rawGets`: `concurrency` workers taking the next id, so the figure
      // is the client's, not a fan-out's (`Effect.forEach` forks a fiber per element).
      const clientGets = (count: number, concurrency: number) => {
        let next = 0
        const worker = Effect.gen(function* () {
          while (next < count) yield* client.get(ids[next++ % ids.length] as string)
        })
        return Effect.all(
          Array.from({ length: concurrency }, () => worker),
          { concurrency: "unbounded", discard: true }
        )
      }
      let timedMs = 0
      let timedCpuMs = 0
      const metrics: Record<string, number> = {}
      for (const concurrency of concurrencies) {
        yield* clientGets(warmUp, concurrency)
        yield* Effect.promise(() => rawGets(pool, paths, warmUp, concurrency, headers))
        // Alternating rounds, best of each: neither side pays for going first (JIT, a
        // neighbour's load spike) alone.
        let clientMs = Infinity
        let rawMs = Infinity
        let clientCpuMs = 0
        let rawCpuMs = 0
        for (let round = 0; round < rounds; round++) {
          const [clientRound] = yield* timed(clientGets(requests, concurrency))
          const [rawRound] = yield* timed(
            Effect.promise(() => rawGets(pool, paths, requests, concurrency, headers))
          )
          clientMs = Math.min(clientMs, clientRound.wallMs)
          rawMs = Math.min(rawMs, rawRound.wallMs)
          clientCpuMs += clientRound.cpuMs
          rawCpuMs += rawRound.cpuMs
          timedMs += clientRound.wallMs + rawRound.wallMs
          timedCpuMs += clientRound.cpuMs + rawRound.cpuMs
        }
        metrics[`c${concurrency}ClientRps`] = perSecond(requests, clientMs)
        metrics[`c${concurrency}UndiciRps`] = perSecond(requests, rawMs)
        metrics[`c${concurrency}ClientOverUndici`] = clientMs / rawMs
        metrics[`c${concurrency}OverheadUsPerRequest`] = ((clientMs - rawMs) * 1000) / requests
        // The same in this process's CPU time, which the emulator's share of the two cores
        // (it runs in the bench's main process) does not move.
        metrics[`c${concurrency}CpuOverheadUsPerRequest`] =
          ((clientCpuMs - rawCpuMs) * 1000) / (rounds * requests)
      }
      // Process-wide counters: a scenario runs alone in its process.
      const stats = yield* DfoMetrics.totals
      // The row counts every timed GET, the client's and undici's alike.
      return {
        wallMs: timedMs,
        cpuMs: timedCpuMs,
        users: requests * concurrencies.length * rounds * 2,
        retries: stats.retries,
        metrics: { ...metrics, requestsPerRun: requests }
      }
    })
  )
