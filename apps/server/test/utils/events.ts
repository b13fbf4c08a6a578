// What the server's event tests share (CONTRACT §8): the institution's side of a real
// RabbitMQ (queues and a publisher), the people the events are about, and waits on the
// server's log, Events health and /metrics.
import { HealthV1 } from "@dfo-writeback/contract"
import { BrokerTestbed, Topology } from "@dfo-writeback/broker-testbed"
import type { Emulator } from "@dfo-writeback/dfo-emulator"
import { Poll } from "@dfo-writeback/testkit"
import { type Duration, Effect, type Scope } from "effect"
import { Connection } from "rabbitmq-client"
import { client, unary } from "./grpc.js"
import type * as ServerProcess from "./ServerProcess.js"
import { get, parsePrometheus } from "./telemetry.js"

const { SERVING } = HealthV1.HealthCheckResponse_ServingStatus
export const eventsHealth = "dfo.writeback.v1.Events"

/** One person of a test's own: an LDAP entry by name, and their employee id in DFØ. */
export interface Person {
  readonly idautoId: string
  readonly sapId: string
  readonly mail: string
}

export const entry = (person: Person, name: string) => ({
  idautoID: person.idautoId,
  idautoPersonSystem1ID: name,
  idautoPersonPayrollID: person.sapId,
  idautoPersonSystem5ID: `${name}@uni.no`,
  idautoPersonSystem2ID: person.mail,
  idautoPersonAppRoles2: "Active Directory"
})

/** The institution's side of the broker: its queues (README "Events"), a publisher, depths. */
export interface Institution {
  readonly url: string
  /** Durable queues with a dead-letter exchange each (`<queue>.dead` keeps what is rejected). */
  readonly declare: (...queues: ReadonlyArray<string>) => Effect.Effect<void>
  readonly publish: (queue: string, body: unknown) => Effect.Effect<void>
  /** Messages ready in `queue` (none of them held by a consumer). */
  readonly depth: (queue: string) => Effect.Effect<number>
}

export const institution: Effect.Effect<
  Institution,
  never,
  BrokerTestbed.BrokerTestbed | Scope.Scope
> = Effect.gen(function* () {
  const broker = yield* BrokerTestbed.BrokerTestbed
  const connection = yield* Effect.acquireRelease(
    Effect.sync(() => new Connection({ url: broker.url, retryLow: 50, retryHigh: 500 })),
    (made) => Effect.promise(() => made.close())
  )
  const publisher = yield* Effect.acquireRelease(
    Effect.sync(() => connection.createPublisher({ confirm: true })),
    (made) => Effect.promise(() => made.close())
  )
  return {
    url: broker.url,
    declare: (...queues) =>
      Effect.promise(() =>
        Promise.all(queues.map((queue) => Topology.declareQueue(connection, queue)))
      ),
    publish: (queue, body) =>
      Effect.promise(() =>
        publisher.send(
          // DFØ sends JSON as application/octet-stream.
          { routingKey: queue, durable: true, contentType: "application/octet-stream" },
          Buffer.from(JSON.stringify(body))
        )
      ),
    depth: (queue) =>
      Effect.promise(() => connection.queueDeclare({ queue, passive: true })).pipe(
        Effect.map((ok) => ok.messageCount)
      )
  }
})

export const waitFor = (
  what: string,
  check: () => boolean,
  timeout: Duration.DurationInput = "20 seconds"
) => Poll.until(Effect.sync(check), { what, timeout, interval: "50 millis" }).pipe(Effect.orDie)

export const puts = (emulator: Emulator, sapId: string) =>
  emulator.log().filter((request) => request.method === "PUT" && request.path.endsWith(`/${sapId}`))

export const linesOf = (server: ServerProcess.ServerProcess, message: string) =>
  server.logs().filter((line) => line["message"] === message)

const healthOf = (address: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const health = yield* client(HealthV1.Health, address)
      const { value } = yield* unary<HealthV1.HealthCheckResponse>((done) =>
        health.check({ service: eventsHealth }, { deadline: Date.now() + 3_000 }, done)
      )
      return value?.status
    })
  )

export const waitForHealth = (
  address: string,
  wanted: HealthV1.HealthCheckResponse_ServingStatus
) =>
  Poll.until(
    Effect.map(healthOf(address), (status) => status === wanted),
    { what: `Events ${wanted === SERVING ? "SERVING" : "NOT_SERVING"}`, timeout: "30 seconds" }
  ).pipe(Effect.orDie)

/** `dfo_writeback_events_total{source,result}` and the lag's count, from the server's /metrics. */
export const eventMetrics = (server: ServerProcess.ServerProcess) =>
  Effect.gen(function* () {
    const listening = linesOf(server, "metrics listening")[0]
    const samples = parsePrometheus(
      (yield* get(`http://${String(listening?.["address"])}/metrics`)).body
    )
    return {
      events: (source: string, result: string) =>
        samples.find(
          (sample) =>
            sample.name === "dfo_writeback_events_total" &&
            sample.labels["source"] === source &&
            sample.labels["result"] === result
        )?.value,
      lagCount: samples.find((sample) => sample.name === "dfo_writeback_event_lag_seconds_count")
        ?.value
    }
  })
