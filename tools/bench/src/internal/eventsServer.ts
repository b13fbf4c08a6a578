/**
 * The built server consuming SCIM events from a queue of the bench's own (CONTRACT §8),
 * over the bench's slapd and emulator, with `/metrics` on, and the events it is sent.
 */
import { Poll, Prometheus } from "@dfo-writeback/testkit"
import { type Duration, Effect, type Scope } from "effect"
import * as EventQueue from "./eventQueue.js"
import { environment } from "./program.js"
import type { BrokerBackend, DfoBackend, LdapBackend } from "./protocol.js"
import * as Server from "./server.js"
import { now } from "./timing.js"

export interface EventsServer {
  readonly server: Server.RunningServer
  readonly queue: EventQueue.EventQueue
}

export const scoped = (
  ldap: LdapBackend,
  dfo: DfoBackend,
  broker: BrokerBackend
): Effect.Effect<EventsServer, Server.ServerStartError, Scope.Scope> =>
  Effect.gen(function* () {
    const queue = yield* EventQueue.scoped(broker.url)
    // Each event its own run at once (no debounce), and the limiter opened so the figures
    // are the consumer's, not SAP_MAX_RPS's.
    const server = yield* Server.scoped(
      environment(ldap, dfo, {
        SAP_MAX_RPS: "100000",
        GRPC_LISTEN: "127.0.0.1:0",
        GRPC_AUTH_TOKENS: "bench-token-5c7e02",
        METRICS_LISTEN: "127.0.0.1:0",
        EVENTS_AMQP_URL: broker.url,
        EVENTS_SCIM_QUEUE: queue.name,
        EVENTS_DEBOUNCE_MS: "0"
      })
    )
    return { server, queue }
  })

/** What an events scenario measures on: its server and queue, and when it began. */
export interface Bench extends EventsServer {
  /** `now()` before anything else, so `scenarioMs` holds the server's start too. */
  readonly started: number
}

/**
 * An events scenario's common start: the clock read, then the server and its queue, which
 * live as long as `body` runs.
 */
export const measure = <A, E>(
  ldap: LdapBackend,
  dfo: DfoBackend,
  broker: BrokerBackend,
  body: (bench: Bench) => Effect.Effect<A, E, Scope.Scope>
): Effect.Effect<A, E | Server.ServerStartError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const started = now()
      const events = yield* scoped(ldap, dfo, broker)
      return yield* body({ ...events, started })
    })
  )

export type Result = "run" | "ignored" | "requeued" | "dead_lettered"

/** `dfo_writeback_events_total{source="scim",result}` from the server's `/metrics`. */
export const counted = (server: Server.RunningServer, result: Result): Effect.Effect<number> =>
  Effect.promise(async () => {
    if (server.metricsAddress === undefined) throw new Error("the server serves no /metrics")
    const response = await fetch(`http://${server.metricsAddress}/metrics`)
    const samples = Prometheus.parse(await response.text())
    return Prometheus.total(samples, "dfo_writeback_events_total", { source: "scim", result })
  })

/** Waits until the server has counted `count` events with `result`; dies past `timeout`. */
export const awaitCounted = (
  server: Server.RunningServer,
  result: Result,
  count: number,
  timeout: Duration.DurationInput
): Effect.Effect<void> =>
  Poll.until(
    Effect.map(counted(server, result), (n) => n >= count),
    { what: `${count} events counted as ${result}`, timeout, interval: "20 millis" }
  ).pipe(Effect.orDie)
