/**
 * Single-user calls as other services make them: over gRPC to the built server (latency
 * percentiles, throughput with many calls in flight), the same calls in-process (what the
 * server adds), and the server's resident memory before and after full runs.
 */
import {
  GrpcClient,
  KeyField,
  type WritebackEvent,
  WritebackService
} from "@dfo-writeback/contract"
import { SingleUserRequest } from "@dfo-writeback/domain"
import { Writeback } from "@dfo-writeback/writeback"
import * as grpc from "@grpc/grpc-js"
import { Effect, Layer } from "effect"
import { summarize } from "../internal/percentile.js"
import { environment, programLayer, silentJsonLogs } from "../internal/program.js"
import type { DfoBackend, LdapBackend, Measured } from "../internal/protocol.js"
import { cpuOfMs } from "../internal/cpu.js"
import { peakRssOfMb, rssOfMb } from "../internal/rss.js"
import * as Server from "../internal/server.js"
import { now, perSecond, stopwatch } from "../internal/timing.js"

const token = "bench-token-8d41f6"
const warmUp = 20

export interface GrpcParams {
  readonly usernames: ReadonlyArray<string>
  readonly sequential: number
  readonly concurrentCalls: number
  readonly clients: number
  readonly fullRuns: number
}

type Request = Parameters<GrpcClient.Client<typeof WritebackService>["writeback"]>[0]

/** One call read to its end: how many events came, and whether it ended in an error. */
const call = (client: GrpcClient.Client<typeof WritebackService>, request: Request) =>
  Effect.promise(async () => {
    const metadata = new grpc.Metadata()
    metadata.set("authorization", `Bearer ${token}`)
    const stream = client.writeback(request, metadata)
    let events = 0
    let summary = false
    try {
      for await (const event of stream) {
        events += 1
        if ((event as WritebackEvent).event.case === "summary") summary = true
      }
      return { events, ok: summary }
    } catch {
      return { events, ok: false }
    }
  })

const byUsername = (username: string): Request => ({
  keyField: KeyField.USERNAME,
  keyValue: username
})

/** `count` runs of `task(i)`, each timed, one after another; latencies in ms. */
const sequentially = <E, R>(count: number, task: (i: number) => Effect.Effect<boolean, E, R>) =>
  Effect.gen(function* () {
    const latencies: Array<number> = []
    let errors = 0
    for (let i = 0; i < count; i++) {
      const start = now()
      const ok = yield* task(i)
      latencies.push(now() - start)
      if (!ok) errors += 1
    }
    return { latencies, errors }
  })

const settle = Effect.sleep("2 seconds")

export const grpcSingleUser = (
  ldap: LdapBackend,
  dfo: DfoBackend,
  params: GrpcParams
): Effect.Effect<Measured, unknown> =>
  Effect.scoped(
    Effect.gen(function* () {
      const started = now()
      const username = (i: number) => params.usernames[i % params.usernames.length] as string
      // The contract's defaults (JSON logs at info on stdout); the limiter opened so the
      // figures are the server's, not SAP_MAX_RPS's.
      const env = environment(ldap, dfo, {
        SAP_MAX_RPS: "100000",
        GRPC_LISTEN: "127.0.0.1:0",
        GRPC_AUTH_TOKENS: token
      })
      const server = yield* Server.scoped(env)
      const client = yield* Effect.acquireRelease(
        Effect.sync(() => GrpcClient.make(WritebackService, server.address)),
        (c) => Effect.sync(() => c.close())
      )
      const single = (i: number) =>
        Effect.map(call(client, byUsername(username(i))), (answer) => answer.ok)

      yield* sequentially(warmUp, single)
      const serverCpuBefore = cpuOfMs(server.pid) ?? 0
      const elapsed = stopwatch()
      const overGrpc = yield* sequentially(params.sequential, single)
      const sequential = elapsed()
      const serverCpuMs = (cpuOfMs(server.pid) ?? 0) - serverCpuBefore

      let next = 0
      let concurrentErrors = 0
      const worker = Effect.gen(function* () {
        while (next < params.concurrentCalls) {
          const ok = yield* single(next++)
          if (!ok) concurrentErrors += 1
        }
      })
      const concurrentStart = now()
      yield* Effect.all(
        Array.from({ length: params.clients }, () => worker),
        {
          concurrency: "unbounded",
          discard: true
        }
      )
      const concurrentMs = now() - concurrentStart

      yield* settle
      const rssBefore = rssOfMb(server.pid) ?? 0
      const fullRunMs: Array<number> = []
      let fullRunErrors = 0
      for (let run = 0; run < params.fullRuns; run++) {
        const start = now()
        const answer = yield* call(client, { processAll: true })
        fullRunMs.push(now() - start)
        if (!answer.ok) fullRunErrors += 1
      }
      yield* settle
      const rssAfter = rssOfMb(server.pid) ?? 0
      const serverPeak = peakRssOfMb(server.pid) ?? 0

      const logs = silentJsonLogs()
      const inProcess = yield* Effect.gen(function* () {
        const writeback = yield* Writeback.Service
        // As the server and the event consumer run one user: each event handed over, no stream.
        const one = (i: number) =>
          writeback
            .runSingle(
              new SingleUserRequest({
                keyField: "username",
                keyValue: username(i),
                logOnly: false
              }),
              () => Effect.void
            )
            .pipe(
              Effect.as(true),
              Effect.catchAll(() => Effect.succeed(false))
            )
        yield* sequentially(warmUp, one)
        return yield* sequentially(params.sequential, one)
      }).pipe(Effect.provide(Layer.fresh(programLayer(env))), Effect.provide(logs.layer))

      const grpcLatency = summarize(overGrpc.latencies)
      const local = summarize(inProcess.latencies)
      // The row's time and rate are the sequential calls over gRPC, its CPU the calling
      // child's over them (the server's beside it); the rest are figures.
      return {
        ...sequential,
        users: params.sequential,
        metrics: {
          scenarioMs: now() - started,
          grpcP50Ms: grpcLatency.p50,
          grpcP90Ms: grpcLatency.p90,
          grpcP99Ms: grpcLatency.p99,
          grpcMeanMs: grpcLatency.mean,
          grpcMaxMs: grpcLatency.max,
          serverCpuMs,
          concurrentCalls: params.concurrentCalls,
          concurrentClients: params.clients,
          concurrentCallsPerSec: perSecond(params.concurrentCalls, concurrentMs),
          inProcessP50Ms: local.p50,
          inProcessP99Ms: local.p99,
          inProcessMeanMs: local.mean,
          serverOverheadP50Ms: grpcLatency.p50 - local.p50,
          grpcOverInProcessP50: local.p50 > 0 ? grpcLatency.p50 / local.p50 : 0,
          fullRunsOverGrpc: params.fullRuns,
          fullRunMs: fullRunMs[fullRunMs.length - 1] ?? 0,
          serverRssBeforeMb: rssBefore,
          serverRssAfterMb: rssAfter,
          serverRssGrowthPct: rssBefore > 0 ? ((rssAfter - rssBefore) / rssBefore) * 100 : 0,
          serverPeakRssMb: serverPeak,
          errors: overGrpc.errors + concurrentErrors + fullRunErrors + inProcess.errors
        }
      }
    })
  )
