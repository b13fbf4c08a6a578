/**
 * SCIM MODIFY events that name no attribute the writeback reads (`displayName`), published
 * as fast as the broker takes them: how fast the built server drains them (each is read,
 * acknowledged, logged and counted, with no LDAP or DFØ call) and its CPU per event.
 */
import { Messages } from "@dfo-writeback/population"
import { Poll } from "@dfo-writeback/testkit"
import { Effect } from "effect"
import { cpuMs, cpuOfMs } from "../internal/cpu.js"
import { publishAll } from "../internal/eventQueue.js"
import * as EventsServer from "../internal/eventsServer.js"
import type * as Server from "../internal/server.js"
import type { BrokerBackend, DfoBackend, LdapBackend, Measured } from "../internal/protocol.js"
import { peakRssOfMb } from "../internal/rss.js"
import { now, perSecond } from "../internal/timing.js"

/** Events before the measured ones: the consumer connected, the server's code warm. */
const warmUp = 200

export const eventsIrrelevant = (
  ldap: LdapBackend,
  dfo: DfoBackend,
  broker: BrokerBackend,
  events: number
): Effect.Effect<Measured, Server.ServerStartError> =>
  EventsServer.measure(ldap, dfo, broker, ({ queue, server, started }) =>
    Effect.gen(function* () {
      // People no directory holds: were an event ever run, it could write nothing.
      const body = (i: number) =>
        Messages.scimEvent("MODIFY", `bench-irrelevant-${i}`, { attributes: ["displayName"] })
      const ignored = (count: number) =>
        EventsServer.awaitCounted(server, "ignored", count, "120 seconds")

      yield* publishAll(queue, warmUp, body)
      yield* ignored(warmUp)

      // Each ignored event writes one log line, which this process counts as it reads them:
      // waiting on that costs the server nothing, where scraping /metrics often would.
      const linesBefore = yield* server.logLines
      const cpuBefore = cpuOfMs(server.pid) ?? 0
      const ownCpuBefore = cpuMs()
      const start = now()
      const published = yield* Effect.map(publishAll(queue, events, body), () => now() - start)
      yield* Poll.until(
        Effect.map(server.logLines, (n) => n >= linesBefore + events),
        {
          what: `${events} "event ignored" lines`,
          timeout: "120 seconds",
          interval: "5 millis"
        }
      ).pipe(Effect.orDie)
      const linesMs = now() - start
      // The count confirms it (another log line could have been among those counted).
      const expected = warmUp + events
      const early = (yield* EventsServer.counted(server, "ignored")) < expected
      if (early) yield* ignored(expected)
      const drainedMs = early ? now() - start : linesMs
      const serverCpuMs = (cpuOfMs(server.pid) ?? 0) - cpuBefore
      // This process's: publishing, and reading the server's log lines.
      const benchCpuMs = cpuMs() - ownCpuBefore
      const ignoredTotal = yield* EventsServer.counted(server, "ignored")
      const runs = yield* EventsServer.counted(server, "run")
      return {
        wallMs: drainedMs,
        cpuMs: serverCpuMs,
        users: events,
        peakRssMb: peakRssOfMb(server.pid) ?? 0,
        metrics: {
          scenarioMs: now() - started,
          eventsPerSec: perSecond(events, drainedMs),
          serverCpuMsPerEvent: serverCpuMs / events,
          publishMs: published,
          publishedPerSec: perSecond(events, published),
          benchCpuMs,
          // Every event ignored exactly once, none run.
          failedEvents: Math.abs(ignoredTotal - expected) + runs
        }
      }
    })
  )
