// The event consumer through the built server (CONTRACT §8): a real RabbitMQ, slapd behind
// a tap that names every LDAP operation, and the DFØ emulator; one broker and one server
// for the file.
import { writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HealthV1 } from "@dfo-writeback/contract"
import { BrokerTestbed } from "@dfo-writeback/broker-testbed"
import { makeEmployee } from "@dfo-writeback/dfo-emulator"
import { Messages } from "@dfo-writeback/population"
import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import {
  entry,
  eventMetrics,
  eventsHealth,
  institution,
  linesOf as linesIn,
  puts as putsIn,
  waitFor,
  waitForHealth
} from "./utils/events.js"
import * as Fixture from "./utils/fixture.js"
import * as LdapTap from "./utils/LdapTap.js"
import * as ServerProcess from "./utils/ServerProcess.js"

const { SERVING, NOT_SERVING } = HealthV1.HealthCheckResponse_ServingStatus
const queues = { scim: "iam.scim.writeback", dfo: "dfo.ansatte.writeback" }

/** Three people of our own: one whose e-mail changes, a new hire, one written after a pause. */
const eve = { idautoId: "events-eve-0001", sapId: "00910001", mail: "eve.new@uni.no" }
const nils = { idautoId: "events-nils-0002", sapId: "00910002", mail: "nils@uni.no" }
const ola = { idautoId: "events-ola-0003", sapId: "00910003", mail: "ola@uni.no" }

interface Events extends Fixture.Fixture {
  readonly tap: LdapTap.LdapTap
  readonly publish: (queue: string, body: unknown) => Effect.Effect<void>
}

class Services extends Context.Tag("server-test/Events")<Services, Events>() {}

const services = Layer.scoped(
  Services,
  Effect.gen(function* () {
    const broker = yield* institution
    const { testbed, emulator } = yield* Fixture.backends
    yield* Effect.promise(() =>
      testbed.add([entry(eve, "eve"), entry(nils, "nils"), entry(ola, "ola")])
    )
    yield* broker.declare(...Object.values(queues))
    const tap = yield* LdapTap.scoped({ host: "127.0.0.1", port: testbed.port })
    const server = yield* ServerProcess.scoped(
      Fixture.serverEnv(testbed, emulator, {
        PORTAL_LDAP_URL: tap.url,
        EVENTS_AMQP_URL: broker.url,
        EVENTS_SCIM_QUEUE: queues.scim,
        EVENTS_DFO_QUEUE: queues.dfo,
        EVENTS_DEBOUNCE_MS: "0",
        METRICS_LISTEN: "127.0.0.1:0"
      })
    )
    return { testbed, emulator, server, tap, publish: broker.publish } satisfies Events
  })
).pipe(Layer.provide(BrokerTestbed.layer()))

const puts = (fixture: Events, sapId: string) => putsIn(fixture.emulator, sapId)

const linesOf = (fixture: Events, message: string) => linesIn(fixture.server, message)

layer(Layer.orDie(services), { excludeTestServices: true, timeout: "120 seconds" })(
  "Events through the server",
  (it) => {
    it.scoped(
      "a changed e-mail reaches DFØ through a SCIM MODIFY; our own write's DFØ notification writes nothing",
      () =>
        Effect.gen(function* () {
          const fixture = yield* Services
          fixture.emulator.setEmployee(
            makeEmployee({ id: eve.sapId, eksternIdent: "eve@uni.no", epost: "eve.old@uni.no" })
          )
          yield* waitForHealth(fixture.server.address, SERVING)
          yield* fixture.publish(
            queues.scim,
            Messages.scimEvent("MODIFY", eve.idautoId, {
              attributes: [Messages.workEmailAttribute]
            })
          )
          yield* waitFor("eve's PUT", () => puts(fixture, eve.sapId).length === 1)
          assert.deepStrictEqual(puts(fixture, eve.sapId)[0]?.body, { epost: eve.mail })
          const intents = fixture.server
            .logs()
            .filter((line) => line["audit_phase"] === "intent" && line["sap_id"] === eve.sapId)
          assert.deepStrictEqual(
            intents.map((line) => line["caller"]),
            ["events:scim"]
          )

          // DFØ tells us about the write we just made: read, compared, nothing written.
          // Counted by source: the SCIM event's own line may still be on its way.
          const dfoRuns = () =>
            linesOf(fixture, "event run").filter((line) => line["source"] === "dfo").length
          const runsBefore = dfoRuns()
          yield* fixture.publish(queues.dfo, Messages.dfoNotification(eve.sapId))
          yield* waitFor("the notification's run", () => dfoRuns() > runsBefore)
          const finished = fixture.server
            .logs()
            .filter((line) => line["message"] === "run finished" && line["caller"] === "events:dfo")
          assert.strictEqual(finished.at(-1)?.["unchanged"], 1)
          assert.strictEqual(puts(fixture, eve.sapId).length, 1)

          // The run is traced inside its message's span: one trace from message to write.
          const scimRun = fixture.server
            .logs()
            .find((line) => line["message"] === "run finished" && line["caller"] === "events:scim")
          const scimMessage = linesOf(fixture, "event run").find(
            (line) => line["source"] === "scim"
          )
          assert.isString(scimRun?.["trace_id"])
          assert.strictEqual(scimRun?.["trace_id"], scimMessage?.["trace_id"])

          // Counted on /metrics, every source and result from 0.
          const { events, lagCount } = yield* eventMetrics(fixture.server)
          assert.strictEqual(events("scim", "run"), 1)
          assert.strictEqual(events("dfo", "run"), 1)
          assert.strictEqual(events("dfo", "dead_lettered"), 0)
          assert.isDefined(lagCount)
        })
    )

    it.scoped(
      "a DFØ notification for a new hire writes their identifiers; an irrelevant MODIFY costs no LDAP or DFØ call",
      () =>
        Effect.gen(function* () {
          const fixture = yield* Services
          fixture.emulator.setEmployee(makeEmployee({ id: nils.sapId }))
          yield* fixture.publish(queues.dfo, Messages.dfoNotification(String(Number(nils.sapId))))
          yield* waitFor("nils's PUT", () => puts(fixture, nils.sapId).length === 1)
          assert.deepStrictEqual(puts(fixture, nils.sapId)[0]?.body, {
            eksternIdent: "nils@uni.no",
            epost: nils.mail
          })

          const searches = () => fixture.tap.operations().filter((op) => op === "search").length
          const dfoCalls = () =>
            fixture.emulator.log().filter((request) => !request.path.endsWith("/00000000")).length
          const [searched, called] = [searches(), dfoCalls()]
          const ignoredBefore = linesOf(fixture, "event ignored").length
          yield* fixture.publish(
            queues.scim,
            Messages.scimEvent("MODIFY", nils.idautoId, {
              attributes: ["name.givenName", 'phoneNumbers[type eq "work"]']
            })
          )
          yield* waitFor(
            "the ignored event",
            () => linesOf(fixture, "event ignored").length > ignoredBefore
          )
          assert.strictEqual(searches(), searched)
          assert.strictEqual(dfoCalls(), called)
        })
    )

    it.scoped(
      "a refused key pauses consumption and Events is NOT_SERVING; the message waits, then goes through",
      () =>
        Effect.gen(function* () {
          const fixture = yield* Services
          fixture.emulator.setEmployee(makeEmployee({ id: ola.sapId, eksternIdent: "ola@uni.no" }))
          yield* waitForHealth(fixture.server.address, SERVING)
          // The gateway knows no key: every call answers 401.
          const keys = fixture.emulator.apiKeys()
          fixture.emulator.setApiKeys([])
          yield* fixture.publish(queues.dfo, Messages.dfoNotification(ola.sapId))
          yield* waitForHealth(fixture.server.address, NOT_SERVING)
          // The line may reach us after the health answer does.
          yield* waitFor("the pause's reason in the log", () =>
            linesOf(fixture, "health: NOT_SERVING").some(
              (line) =>
                line["service"] === eventsHealth &&
                /paused: DFØ refused .* HTTP 401/.test(String(line["reason"]))
            )
          )
          assert.lengthOf(puts(fixture, ola.sapId), 0)

          fixture.emulator.setApiKeys(keys)
          yield* waitFor(
            "ola's PUT once the key works",
            () => puts(fixture, ola.sapId).length === 1,
            "40 seconds"
          )
          yield* waitForHealth(fixture.server.address, SERVING)
          assert.deepStrictEqual(puts(fixture, ola.sapId)[0]?.body, { epost: ola.mail })
        })
    )

    it.effect(
      "an unknown EVENTS_ setting, or EVENTS_AMQP_URL without a queue, stops start-up with one line, never the URL",
      () =>
        Effect.gen(function* () {
          const fixture = yield* Services
          const password = "sekret-broker-pw-51f0"
          const url = `amqp://writeback:${password}@127.0.0.1:5672/`
          const urlFile = join(tmpdir(), `events-url-${process.pid}`)
          writeFileSync(urlFile, `${url}\n`)
          const cases: ReadonlyArray<readonly [Record<string, string>, RegExp]> = [
            [{ EVENTS_AMQP_URL: url, EVENTS_QUEUE: "q" }, /EVENTS_QUEUE: unknown setting/],
            [{ EVENTS_AMQP_URL: url }, /EVENTS_SCIM_QUEUE: with EVENTS_AMQP_URL set, name/],
            [{ EVENTS_AMQP_URL_FILE: urlFile }, /EVENTS_SCIM_QUEUE: with EVENTS_AMQP_URL set/]
          ]
          for (const [extra, problem] of cases) {
            const env = Fixture.serverEnv(fixture.testbed, fixture.emulator, extra)
            const ended = yield* Effect.promise(() => ServerProcess.runToExit(env))
            assert.strictEqual(ended.code, 2, ended.output)
            const errors = ended.logs.filter((line) => line["level"] === "error")
            assert.lengthOf(errors, 1, ended.output)
            assert.match(String(errors[0]?.["message"]), problem)
            assert.notInclude(ended.output, password)
          }
        })
    )
  }
)
