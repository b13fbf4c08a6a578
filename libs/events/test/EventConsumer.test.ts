import { BrokerTestbed, Topology } from "@dfo-writeback/broker-testbed"
import { Messages } from "@dfo-writeback/population"
import { Poll } from "@dfo-writeback/testkit"
import { assert, layer } from "@effect/vitest"
import { Effect, Exit, Redacted, Ref, Scope } from "effect"
import { Connection } from "rabbitmq-client"
import { EventConsumer, type EventMessage, type EventsConfig } from "../src/index.js"

/** A client for the test's side of the broker: the institution's topology and publisher. */
const client = Effect.gen(function* () {
  const broker = yield* BrokerTestbed.BrokerTestbed
  return yield* Effect.acquireRelease(
    Effect.sync(() => {
      const connection = new Connection({ url: broker.url, retryLow: 50, retryHigh: 500 })
      connection.on("error", () => {})
      return connection
    }),
    (connection) => Effect.promise(() => connection.close())
  )
})

/** The institution's topology (README): names are unique per test. */
const topology = (connection: Connection, queue: string, quorum = false) =>
  Effect.promise(() => Topology.declareQueue(connection, queue, { quorum }))

const publish = (connection: Connection, queue: string, bodies: ReadonlyArray<unknown>) =>
  Effect.promise(async () => {
    const publisher = connection.createPublisher({ confirm: true })
    for (const body of bodies) {
      await publisher.send(
        { routingKey: queue, durable: true, contentType: "application/octet-stream" },
        Buffer.from(typeof body === "string" ? body : JSON.stringify(body))
      )
    }
    await publisher.close()
  })

const depth = (connection: Connection, queue: string) =>
  Effect.promise(() => connection.queueDeclare({ queue, passive: true })).pipe(
    Effect.map((ok) => ok.messageCount)
  )

const options = (
  url: string,
  queues: { readonly scimQueue?: string; readonly dfoQueue?: string },
  overrides: Partial<EventsConfig.EventsOptions> = {}
): EventsConfig.EventsOptions => ({
  url: Redacted.make(url),
  ca: undefined,
  scimQueue: queues.scimQueue,
  dfoQueue: queues.dfoQueue,
  scimAttributes: new Set(["username", "emails", "employeenumber", "active", "roles"]),
  debounceMs: 300,
  prefetch: 8,
  maxAttempts: 5,
  ...overrides
})

/** Records every run asked for, answering with `verdict` (by person and attempt). */
const recorder = (
  verdict: (trigger: EventMessage.Trigger, attempt: number) => EventConsumer.Verdict = () => ({
    _tag: "Done"
  })
) =>
  Effect.gen(function* () {
    const runs = yield* Ref.make<ReadonlyArray<string>>([])
    const runEvent: EventConsumer.RunEvent = (trigger) =>
      Ref.modify(runs, (done) => {
        const person = `${trigger.keyField}:${trigger.keyValue}`
        const attempt = done.filter((p) => p === person).length + 1
        return [verdict(trigger, attempt), [...done, person]]
      })
    return { runs, runEvent }
  })

const waitFor = (what: string, check: Effect.Effect<boolean>) =>
  Poll.until(check, { what, timeout: "30 seconds", interval: "100 millis" })

layer(BrokerTestbed.layer(), { excludeTestServices: true, timeout: "120 seconds" })(
  "EventConsumer against RabbitMQ",
  (it) => {
    it.scoped(
      "one run per person per burst; irrelevant MODIFY and DELETE events cost no run; every message acknowledged",
      () =>
        Effect.gen(function* () {
          const broker = yield* BrokerTestbed.BrokerTestbed
          const connection = yield* client
          yield* topology(connection, "t1.scim")
          yield* topology(connection, "t1.dfo")
          const { runs, runEvent } = yield* recorder()
          yield* EventConsumer.make(
            options(broker.url, { scimQueue: "t1.scim", dfoQueue: "t1.dfo" }),
            runEvent
          )
          yield* publish(connection, "t1.scim", [
            ...Array.from({ length: 5 }, () =>
              Messages.scimEvent("MODIFY", "person-a", { attributes: ["emails"] })
            ),
            Messages.scimEvent("MODIFY", "person-b", {
              attributes: ["name.givenName", "phoneNumbers"]
            }),
            Messages.scimEvent("DELETE", "person-c"),
            Messages.scimEvent("ADD", "person-d")
          ])
          yield* publish(connection, "t1.dfo", [{ id: "00030202", uri: "dfo:ansatte" }])
          yield* waitFor(
            "three runs and empty queues",
            Effect.gen(function* () {
              const done = yield* Ref.get(runs)
              const left =
                (yield* depth(connection, "t1.scim")) + (yield* depth(connection, "t1.dfo"))
              return done.length >= 3 && left === 0
            })
          )
          // Longer than the debounce: no late second run for the burst.
          yield* Effect.sleep("600 millis")
          assert.deepStrictEqual([...(yield* Ref.get(runs))].sort(), [
            "employee-id:00030202",
            "idautoID:person-a",
            "idautoID:person-d"
          ])
          assert.strictEqual(yield* depth(connection, "t1.scim.dead"), 0)
        })
    )

    it.scoped("a poison message and one that keeps failing reach the dead-letter queue", () =>
      Effect.gen(function* () {
        const broker = yield* BrokerTestbed.BrokerTestbed
        const connection = yield* client
        yield* topology(connection, "t2.dfo")
        const { runs, runEvent } = yield* recorder(() => ({
          _tag: "Failed",
          reason: "SAP_UPDATE_FAILED: HTTP 500"
        }))
        yield* EventConsumer.make(
          options(broker.url, { dfoQueue: "t2.dfo" }, { maxAttempts: 3, debounceMs: 0 }),
          runEvent
        )
        yield* publish(connection, "t2.dfo", ["{not json", { id: "00040404", uri: "dfo:ansatte" }])
        yield* waitFor(
          "both messages in the dead-letter queue",
          Effect.map(depth(connection, "t2.dfo.dead"), (n) => n === 2)
        )
        // Three failed runs, then no more: the message is dead, not requeued again.
        assert.deepStrictEqual(yield* Ref.get(runs), Array(3).fill("employee-id:00040404"))
        assert.strictEqual(yield* depth(connection, "t2.dfo"), 0)
      })
    )

    it.scoped("an outage pauses consumption: messages wait, then go through", () =>
      Effect.gen(function* () {
        const broker = yield* BrokerTestbed.BrokerTestbed
        const connection = yield* client
        yield* topology(connection, "t3.scim")
        const { runs, runEvent } = yield* recorder((_, attempt) =>
          attempt === 1 ? { _tag: "Outage", reason: "LDAP_CONNECTION_FAILED" } : { _tag: "Done" }
        )
        const consumer = yield* EventConsumer.make(
          options(broker.url, { scimQueue: "t3.scim" }, { debounceMs: 0 }),
          runEvent
        )
        yield* waitFor(
          "the consumer to serve",
          Effect.map(consumer.status, (s) => s.serving)
        )
        yield* publish(connection, "t3.scim", [Messages.scimEvent("ADD", "person-e")])
        yield* waitFor(
          "the pause",
          Effect.map(
            consumer.status,
            (s) => !s.serving && s.reason.includes("LDAP_CONNECTION_FAILED")
          )
        )
        yield* publish(connection, "t3.scim", [Messages.scimEvent("ADD", "person-f")])
        yield* waitFor(
          "both people run and the queue empty",
          Effect.gen(function* () {
            const done = yield* Ref.get(runs)
            return (
              done.filter((p) => p === "idautoID:person-e").length === 2 &&
              done.includes("idautoID:person-f") &&
              (yield* depth(connection, "t3.scim")) === 0
            )
          })
        )
        // The last run resumed consumption.
        yield* waitFor(
          "the consumer to serve again",
          Effect.map(consumer.status, (s) => s.serving)
        )
      })
    )

    it.scoped("on a quorum queue too, an outage spends no attempt; failed runs do", () =>
      Effect.gen(function* () {
        const broker = yield* BrokerTestbed.BrokerTestbed
        const connection = yield* client
        yield* topology(connection, "t7.dfo", true)
        // Down once, then this person's record fails: two failed runs dead-letter it.
        const { runs, runEvent } = yield* recorder((_, attempt) =>
          attempt === 1
            ? { _tag: "Outage", reason: "DFØ unreachable: SAP_FETCH_FAILED" }
            : { _tag: "Failed", reason: "SAP_UPDATE_FAILED: HTTP 422" }
        )
        yield* EventConsumer.make(
          options(broker.url, { dfoQueue: "t7.dfo" }, { maxAttempts: 2, debounceMs: 0 }),
          runEvent
        )
        yield* publish(connection, "t7.dfo", [{ id: "00070001", uri: "dfo:ansatte" }])
        yield* waitFor(
          "the message in the dead-letter queue",
          Effect.map(depth(connection, "t7.dfo.dead"), (n) => n === 1)
        )
        // A requeue would have counted the outage in x-delivery-count: dead after 2 runs.
        assert.lengthOf(yield* Ref.get(runs), 3)
        assert.strictEqual(yield* depth(connection, "t7.dfo"), 0)
      })
    )

    it.scoped(
      "stopped while paused: messages whose run has not started go back at once, none dead",
      () =>
        Effect.gen(function* () {
          const broker = yield* BrokerTestbed.BrokerTestbed
          const connection = yield* client
          yield* topology(connection, "t6.dfo")
          const { runs, runEvent } = yield* recorder(() => ({
            _tag: "Outage",
            reason: "DFØ unreachable: SAP_FETCH_FAILED"
          }))
          const scope = yield* Scope.make()
          yield* EventConsumer.make(
            options(broker.url, { dfoQueue: "t6.dfo" }, { debounceMs: 0 }),
            runEvent
          ).pipe(Scope.extend(scope))
          const ids = ["00060001", "00060002", "00060003"]
          yield* publish(
            connection,
            "t6.dfo",
            ids.map((id) => ({ id, uri: "dfo:ansatte" }))
          )
          // Each ran once as the outage began, then the probe after 1 s failed: 2 s to the next.
          yield* waitFor(
            "the first failed probe",
            Effect.map(Ref.get(runs), (done) => done.length === ids.length + 1)
          )
          const closing = Date.now()
          yield* Scope.close(scope, Exit.void)
          assert.isBelow(Date.now() - closing, 1_000, "the pause is not waited out")
          yield* waitFor(
            "every message back in the queue",
            Effect.map(depth(connection, "t6.dfo"), (n) => n === ids.length)
          )
          assert.strictEqual(yield* depth(connection, "t6.dfo.dead"), 0)
          assert.lengthOf(yield* Ref.get(runs), ids.length + 1)
        })
    )

    it.scoped("a missing queue is reported and tried again until it exists", () =>
      Effect.gen(function* () {
        const broker = yield* BrokerTestbed.BrokerTestbed
        const connection = yield* client
        const { runs, runEvent } = yield* recorder()
        const consumer = yield* EventConsumer.make(
          options(broker.url, { scimQueue: "t4.scim" }, { debounceMs: 0 }),
          runEvent
        )
        yield* waitFor(
          "the missing queue in the status",
          Effect.map(consumer.status, (s) => !s.serving && s.reason.startsWith("queue t4.scim:"))
        )
        assert.notInclude((yield* consumer.status).reason, broker.password)
        yield* topology(connection, "t4.scim")
        yield* waitFor(
          "the consumer to serve",
          Effect.map(consumer.status, (s) => s.serving)
        )
        yield* publish(connection, "t4.scim", [Messages.scimEvent("ADD", "person-g")])
        yield* waitFor(
          "the run",
          Effect.map(Ref.get(runs), (done) => done.includes("idautoID:person-g"))
        )
      })
    )

    it.scoped("a broker restart mid-stream loses no message", () =>
      Effect.gen(function* () {
        const broker = yield* BrokerTestbed.BrokerTestbed
        const connection = yield* client
        yield* topology(connection, "t5.dfo")
        const { runs, runEvent: record } = yield* recorder()
        // Slow runs, so the restart comes while some are in flight and others queued.
        const runEvent: EventConsumer.RunEvent = (trigger) =>
          Effect.zipRight(Effect.sleep("50 millis"), record(trigger))
        yield* EventConsumer.make(
          options(broker.url, { dfoQueue: "t5.dfo" }, { debounceMs: 0, prefetch: 4 }),
          runEvent
        )
        const ids = Array.from({ length: 40 }, (_, i) => String(10_000 + i))
        yield* publish(
          connection,
          "t5.dfo",
          ids.map((id) => ({ id, uri: "dfo:ansatte" }))
        )
        yield* waitFor(
          "some runs",
          Effect.map(Ref.get(runs), (done) => done.length >= 5)
        )
        yield* broker.restart
        yield* waitFor(
          "every employee run and the queue empty",
          Effect.gen(function* () {
            const done = new Set(yield* Ref.get(runs))
            return (
              ids.every((id) => done.has(`employee-id:${id}`)) &&
              (yield* depth(connection, "t5.dfo")) === 0
            )
          })
        )
        // A run cut by the restart may run again (runs are idempotent); none is lost.
        assert.isAtLeast((yield* Ref.get(runs)).length, ids.length)
      })
    )
  }
)
