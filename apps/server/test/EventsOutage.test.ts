// Nothing is lost when DFØ is down or the server is stopped (CONTRACT §8, issue #22's
// targets): the built server over a real RabbitMQ, slapd and the DFØ emulator; one broker
// and one slapd for the file, a server (and queue) per test.
import { HealthV1 } from "@dfo-writeback/contract"
import { BrokerTestbed } from "@dfo-writeback/broker-testbed"
import { makeEmployee } from "@dfo-writeback/dfo-emulator"
import { Messages } from "@dfo-writeback/population"
import { assert, layer } from "@effect/vitest"
import { Poll } from "@dfo-writeback/testkit"
import { Context, Effect, Layer, Option } from "effect"
import * as Events from "./utils/events.js"
import * as Fixture from "./utils/fixture.js"
import * as ServerProcess from "./utils/ServerProcess.js"

const { SERVING, NOT_SERVING } = HealthV1.HealthCheckResponse_ServingStatus

/** People whose DFØ record holds an old e-mail: each run writes `{epost}`. */
const people = (prefix: string, first: number, count: number): ReadonlyArray<Events.Person> =>
  Array.from({ length: count }, (_, i) => ({
    idautoId: `${prefix}-${i}`,
    sapId: String(first + i).padStart(8, "0"),
    mail: `${prefix}${i}@uni.no`
  }))

const outage = people("outage", 920_001, 4)
const drain = people("drain", 930_001, 6)

interface Backends {
  readonly broker: Events.Institution
  readonly testbed: Fixture.Fixture["testbed"]
  readonly emulator: Fixture.Fixture["emulator"]
}

class Services extends Context.Tag("server-test/EventsOutage")<Services, Backends>() {}

const services = Layer.scoped(
  Services,
  Effect.gen(function* () {
    const broker = yield* Events.institution
    const { testbed, emulator } = yield* Fixture.backends
    const all = [...outage, ...drain]
    yield* Effect.promise(() =>
      testbed.add(all.map((person) => Events.entry(person, person.idautoId)))
    )
    for (const person of all) {
      emulator.setEmployee(
        makeEmployee({
          id: person.sapId,
          eksternIdent: `${person.idautoId}@uni.no`,
          epost: "old@uni.no"
        })
      )
    }
    return { broker, testbed, emulator }
  })
).pipe(Layer.provide(BrokerTestbed.layer()))

/** The server consuming `queue` (DFØ's notifications, declared now), with `extra` settings. */
const serving = (fixture: Backends, queue: string, extra: Readonly<Record<string, string>>) =>
  Effect.gen(function* () {
    yield* fixture.broker.declare(queue)
    const running = yield* ServerProcess.scoped(
      Fixture.serverEnv(fixture.testbed, fixture.emulator, {
        EVENTS_AMQP_URL: fixture.broker.url,
        EVENTS_DFO_QUEUE: queue,
        EVENTS_DEBOUNCE_MS: "0",
        METRICS_LISTEN: "127.0.0.1:0",
        ...extra
      })
    )
    yield* Events.waitForHealth(running.address, SERVING)
    return running
  })

const requestsFor = (fixture: Backends, person: Events.Person) =>
  fixture.emulator.log().filter((request) => request.path.endsWith(`/${person.sapId}`))

layer(Layer.orDie(services), { excludeTestServices: true, timeout: "120 seconds" })(
  "Events when DFØ is down or the server stops",
  (it) => {
    it.scoped(
      "DFØ down: consumption pauses, nothing is dead-lettered; once DFØ answers every message runs",
      () =>
        Effect.gen(function* () {
          const fixture = yield* Services
          const { broker, emulator } = fixture
          const queue = "outage.dfo"
          // Two failed runs would dead-letter a message, were an outage counted as attempts.
          const running = yield* serving(fixture, queue, { EVENTS_MAX_ATTEMPTS: "2" })

          emulator.setFaults({ errorRate: 1 })
          for (const person of outage)
            yield* broker.publish(queue, Messages.dfoNotification(person.sapId))
          yield* Events.waitForHealth(running.address, NOT_SERVING)
          const failedReads = () =>
            outage.flatMap((person) => requestsFor(fixture, person)).filter((r) => r.status === 503)
          // Every message ran once, then two probes failed: past EVENTS_MAX_ATTEMPTS.
          yield* Events.waitFor(
            "two failed probes",
            () => failedReads().length >= outage.length + 2
          )
          assert.strictEqual(yield* broker.depth(`${queue}.dead`), 0)
          // The line may reach us after the health answer does.
          yield* Events.waitFor("the pause's reason in the log", () =>
            Events.linesOf(running, "health: NOT_SERVING").some(
              (line) =>
                line["service"] === Events.eventsHealth &&
                /paused: DFØ unreachable: SAP_FETCH_FAILED: .* HTTP 503/.test(
                  String(line["reason"])
                )
            )
          )

          emulator.setFaults({ errorRate: 0 })
          yield* Events.waitFor(
            "every person's write",
            () => outage.every((person) => Events.puts(emulator, person.sapId).length === 1),
            "30 seconds"
          )
          yield* Events.waitForHealth(running.address, SERVING)
          for (const person of outage) {
            assert.deepStrictEqual(Events.puts(emulator, person.sapId)[0]?.body, {
              epost: person.mail
            })
          }

          // Every delivery ended once, as a run or a requeue; nothing dead.
          const metrics = yield* Poll.some(
            Effect.map(Events.eventMetrics(running), (m) =>
              m.events("dfo", "run") === outage.length ? Option.some(m) : Option.none()
            ),
            { what: "every message counted as run", timeout: "10 seconds", interval: "100 millis" }
          ).pipe(Effect.orDie)
          const requeued = Events.linesOf(running, "event requeued; consumption paused")
          assert.strictEqual(metrics.events("dfo", "dead_lettered"), 0)
          assert.strictEqual(metrics.events("dfo", "requeued"), requeued.length)
          // Stopped, the server holds no message: one left unacknowledged would be back.
          assert.strictEqual(yield* Effect.promise(() => running.stop()), 0)
          assert.strictEqual(yield* broker.depth(queue), 0)
          assert.strictEqual(yield* broker.depth(`${queue}.dead`), 0)
          // Each run reads its person first (no retries here): one read per delivery.
          const reads = outage
            .flatMap((person) => requestsFor(fixture, person))
            .filter((r) => r.method === "GET")
          assert.strictEqual(reads.length, outage.length + requeued.length)
          assert.lengthOf(failedReads(), requeued.length)
        })
    )

    it.scoped(
      "SIGTERM with runs in flight: consuming stops at once, they finish and are acknowledged; messages not started stay queued",
      () =>
        Effect.gen(function* () {
          const fixture = yield* Services
          const { broker, emulator } = fixture
          const queue = "drain.dfo"
          emulator.setFaults({ errorRate: 0, latencyMs: 300 })
          // A drain long enough for every message to run, were consuming to go on during it.
          const running = yield* serving(fixture, queue, {
            EVENTS_PREFETCH: "2",
            GRPC_SHUTDOWN_DRAIN_MS: "3000"
          })
          for (const person of drain)
            yield* broker.publish(queue, Messages.dfoNotification(person.sapId))
          yield* Events.waitFor("a write reaching DFØ", () =>
            drain.some((person) => Events.puts(emulator, person.sapId).length > 0)
          )

          running.child.kill("SIGTERM")
          assert.strictEqual(yield* Effect.promise(() => running.exited), 0)
          emulator.setFaults({ latencyMs: 0 })

          // The server has exited: every request it made is answered and in the emulator's log.
          const ran = drain.filter((person) =>
            Events.linesOf(running, "event run").some(
              (line) => line["people"] === `employee-id ${person.sapId}`
            )
          )
          const written = drain.filter((person) => Events.puts(emulator, person.sapId).length > 0)
          assert.isAtLeast(ran.length, 1)
          assert.deepStrictEqual(written, ran, "every write that began ran to its outcome")
          for (const person of ran) {
            const [put] = Events.puts(emulator, person.sapId)
            assert.strictEqual(put?.status, 200)
            assert.deepStrictEqual(put?.body, { epost: person.mail })
          }
          // Acknowledged or back in the queue, each message once; none requeued, none dead.
          assert.strictEqual(yield* broker.depth(queue), drain.length - ran.length)
          assert.strictEqual(yield* broker.depth(`${queue}.dead`), 0)
          assert.lengthOf(Events.linesOf(running, "event requeued; consumption paused"), 0)
          const untouched = drain.filter((person) => !ran.includes(person))
          assert.isAtLeast(untouched.length, 1, "some messages were not started")
          for (const person of untouched) assert.lengthOf(requestsFor(fixture, person), 0)
          const messages = running.logs().map((line) => line["message"])
          assert.include(messages, "stopped")
        })
    )
  }
)
