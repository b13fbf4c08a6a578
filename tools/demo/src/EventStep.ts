/**
 * The demo's events step (issue #22): one change travelling from an event to DFØ within a
 * second, not at the next nightly run. A throw-away RabbitMQ holds the institution's queues,
 * `writeback-server` consumes them; a work e-mail changes in LDAP, Felles IAM's SCIM event
 * for it is published, and the server's single-user run writes it to DFØ. DFØ then notifies
 * us about our own write, and that run writes nothing, so events never loop.
 */
import { randomBytes } from "node:crypto"
import type { BrokerTestbed } from "@dfo-writeback/broker-testbed"
import type { Emulator } from "@dfo-writeback/dfo-emulator"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import type { Person } from "@dfo-writeback/population"
import { canonicalId, Messages } from "@dfo-writeback/population"
import type { ChildProcess, Poll } from "@dfo-writeback/testkit"
import type { CommandExecutor } from "@effect/platform"
import { Effect, Schema } from "effect"
import * as Institution from "./Institution.js"
import { expected, population } from "./Scenario.js"
import * as WritebackServer from "./WritebackServer.js"

/** Short, so the demo shows the path itself; sites keep the default (2000 ms). */
export const debounceMs = 100

/** The step's own check failed: what the demo claims did not happen. */
export class EventStepError extends Schema.TaggedError<EventStepError>()("EventStepError", {
  message: Schema.String
}) {}

export type Failure =
  | BrokerTestbed.BrokerTestbedError
  | Institution.InstitutionError
  | LdapTestbed.LdapTestbedError
  | ChildProcess.ChildProcessError
  | Poll.PollTimeout
  | EventStepError

export interface Backends {
  readonly testbed: LdapTestbed.Testbed
  readonly emulator: Emulator
  /** The directory's, DFØ's and the rules' settings, as the CLI steps have them. */
  readonly settings: Readonly<Record<string, string>>
  /** Prints one line for the operator. */
  readonly print: (line: string) => void
}

/** A person whose e-mail the step changes. */
type Subject = Person & { readonly payrollId: string; readonly workEmail: string }

/** Someone the runs so far wrote or left alone, whose DFØ record now holds their e-mail. */
const subject = (emulator: Emulator): Subject | undefined =>
  population.people.find(
    (person): person is Subject =>
      ["UPDATED", "UNCHANGED"].includes(expected.get(person.idautoId)?.outcome ?? "") &&
      person.payrollId !== undefined &&
      person.workEmail !== undefined &&
      emulator.employee(person.payrollId)?.["epost"] === person.workEmail
  )

const putsTo = (emulator: Emulator, sapId: string) =>
  emulator.log().filter((entry) => entry.method === "PUT" && entry.path.endsWith(`/${sapId}`))

/**
 * A log line about `sapId` carrying `field=value`, in whatever order the fields come (the
 * id with or without its leading zeros).
 */
const lineAbout = (sapId: string, field: string, value: string) =>
  new RegExp(`^(?=.* sap_id=0*${sapId.replace(/^0+/, "")}\\b)(?=.* ${field}=${value}(?: |$))`)

/** Everything running while the messages travel. */
interface Scene extends Backends {
  readonly institution: Institution.Institution
  readonly server: WritebackServer.Server
}

/** The server's run for the SCIM event: its PUT, its audit lines, DFØ's new value. */
const followScimEvent = (scene: Scene, person: Subject) =>
  Effect.gen(function* () {
    const { emulator, institution, print, server } = scene
    const sapId = canonicalId(person.payrollId)
    const newMail = person.workEmail.replace("@", ".ny@")
    emulator.resetLog()
    // As RapidIdentity makes a change: on the live directory, as its manager (the service
    // account only reads).
    yield* LdapTestbed.replaceAttributes(LdapTestbed.manager(scene.testbed), [
      { dn: person.dn, attribute: "idautoPersonSystem2ID", values: [newMail] }
    ])
    print(`LDAP: ${person.cn}'s work e-mail (idautoPersonSystem2ID)`)
    print(`      ${person.workEmail} → ${newMail}`)

    const mark = yield* server.lineCount
    const sent = new Date()
    const event = Messages.scimEvent("MODIFY", person.idautoId, {
      attributes: [Messages.workEmailAttribute],
      time: sent
    })
    yield* institution.publish(Institution.queues.scim, event)
    print(`Felles IAM → ${Institution.queues.scim}: SCIM MODIFY Users/${person.idautoId}`)
    print(`      attributes ${JSON.stringify(event.attributes)} (names only, no values)`)

    yield* server.waitForLine(lineAbout(sapId, "audit_phase", "done"), "the audit line", mark)
    const puts = putsTo(emulator, sapId)
    const put = puts[0]
    if (put === undefined || puts.length !== 1) {
      return yield* new EventStepError({
        message: `one PUT to ${sapId} was expected; DFØ saw ${puts.length}`
      })
    }
    print(
      `DFØ got PUT …/${sapId} ${JSON.stringify(put.body)} ${Math.round(put.time - sent.getTime())} ms ` +
        `after the event (the ${debounceMs} ms debounce included)`
    )
    print("The server's audit lines:")
    const audit = yield* server.linesMatching(lineAbout(sapId, "audit", "true"), mark)
    for (const line of audit) print(`  ${line}`)
    const now = emulator.employee(sapId)?.["epost"]
    if (now !== newMail) {
      return yield* new EventStepError({
        message: `DFØ's epost is ${String(now)}, not the new one`
      })
    }
    print(`DFØ's epost for ${sapId} is now ${String(now)}`)
    return sapId
  })

/** DFØ's notification of our own write: a run that reads, compares and writes nothing. */
const followOwnNotification = (scene: Scene, sapId: string) =>
  Effect.gen(function* () {
    const { emulator, institution, print, server } = scene
    emulator.resetLog()
    const mark = yield* server.lineCount
    const body = Messages.dfoNotification(sapId, new Date())
    yield* institution.publish(Institution.queues.dfo, body)
    print(`DFØ → ${Institution.queues.dfo}: ${JSON.stringify(body)} (our own write's echo)`)
    const finished = yield* server.waitForLine(
      /\brun finished\b.* caller=events:dfo\b/,
      "the notification's run",
      mark
    )
    print(`  ${finished}`)
    const writes = putsTo(emulator, sapId).length
    if (!/ unchanged=1\b/.test(finished) || writes !== 0) {
      return yield* new EventStepError({
        message: `our own write's notification was not UNCHANGED (${writes} PUT)`
      })
    }
    print(
      `Nothing written: UNCHANGED, no PUT (DFØ saw ${JSON.stringify(emulator.stats().byMethod)})`
    )
  })

/** The server and the broker, and the two messages through them; both stopped at the end. */
const travel = (backends: Backends, person: Subject) =>
  Effect.gen(function* () {
    const { print } = backends
    // Each start-up's own time, so an operator sees where the wait went.
    let since = Date.now()
    const seconds = () => {
      const took = `${((Date.now() - since) / 1000).toFixed(1)} s`
      since = Date.now()
      return took
    }
    const institution = yield* Institution.scoped()
    print(
      `RabbitMQ         127.0.0.1:${institution.port} (up in ${seconds()}), queues ` +
        `${Object.values(Institution.queues).join(", ")}, each with a dead-letter exchange`
    )
    const server = yield* WritebackServer.scoped({
      ...backends.settings,
      LOG_LEVEL: "info",
      GRPC_LISTEN: "127.0.0.1:0",
      GRPC_AUTH_TOKENS: `demo:${randomBytes(24).toString("hex")}`,
      // No load balancer to drain: stop at once rather than answer NOT_SERVING for 5 s.
      GRPC_SHUTDOWN_DRAIN_MS: "100",
      EVENTS_AMQP_URL: institution.url,
      EVENTS_SCIM_QUEUE: Institution.queues.scim,
      EVENTS_DFO_QUEUE: Institution.queues.dfo,
      EVENTS_DEBOUNCE_MS: String(debounceMs)
    })
    yield* server.waitForLine(
      /\bhealth: SERVING\b.* service=dfo\.writeback\.v1\.Events\b/,
      "the server to consume the queues"
    )
    print(
      `writeback-server ${server.address} (up in ${seconds()}), consuming both ` +
        `(EVENTS_DEBOUNCE_MS=${debounceMs})`
    )
    const scene: Scene = { ...backends, institution, server }
    const sapId = yield* followScimEvent(scene, person)
    yield* followOwnNotification(scene, sapId)
    print(`writeback-server stopped on SIGTERM (${yield* server.stop}); RabbitMQ stopped`)
  }).pipe(Effect.scoped)

/**
 * Runs the step. Without RabbitMQ (and not root, so it cannot be installed) it says in one
 * line how to install it and leaves the rest of the demo alone.
 */
export const run = (
  backends: Backends
): Effect.Effect<void, Failure, CommandExecutor.CommandExecutor> =>
  Effect.gen(function* () {
    const person = subject(backends.emulator)
    if (person === undefined) {
      return yield* new EventStepError({ message: "nobody in the directory fits the step" })
    }
    backends.print("Starting a throw-away RabbitMQ and writeback-server...")
    yield* travel(backends, person).pipe(
      Effect.catchIf(
        (error) => error._tag === "BrokerTestbedError" && error.reason === "not-installed",
        (error) => Effect.sync(() => backends.print(`Skipped: ${error.message}`))
      )
    )
  })
