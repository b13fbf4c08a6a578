/**
 * SCIM events that matter, through the real broker to the built server (issue #22 point 8):
 * each person's work e-mail changed in the directory, then one MODIFY `["emails"]` event per
 * person. Two phases over the same people: every event published at once, all PUTs done
 * over the time taken (throughput); then the e-mails put back and events at a steady rate
 * the server keeps up with, each one's time to its PUT reaching the emulator (latency).
 * The server's CPU beside each.
 */
import { expectedOutcomes, Messages, type Person, Population } from "@dfo-writeback/population"
import { Poll } from "@dfo-writeback/testkit"
import { Effect } from "effect"
import { cpuOfMs } from "../internal/cpu.js"
import * as EmulatorAdmin from "../internal/emulatorAdmin.js"
import { matchPuts, type Sent, steadyPlan } from "../internal/eventLatency.js"
import { publishAll } from "../internal/eventQueue.js"
import * as EventsServer from "../internal/eventsServer.js"
import type * as Server from "../internal/server.js"
import { summarize } from "../internal/percentile.js"
import type { BrokerBackend, DfoBackend, LdapBackend, Measured } from "../internal/protocol.js"
import { peakRssOfMb } from "../internal/rss.js"
import { now, perSecond } from "../internal/timing.js"
import { setWorkEmails } from "../internal/workEmails.js"

export interface RelevantParams {
  readonly users: number
  readonly seed: number
  /** Distinct people, one event each, in each phase. */
  readonly people: number
  /** The latency phase's highest rate (events a second). */
  readonly maxRatePerSec: number
}

/** Events before the measured ones: the consumer connected, the server's code warm. */
const warmUp = 20

/**
 * The bench directory's people a run leaves unchanged (DFØ in sync with them, every check
 * passed), so a changed work e-mail is exactly one write of `epost`.
 */
export const changeable = (users: number, seed: number): ReadonlyArray<Person> => {
  // DFØ's records as the bench's emulator holds them for a run with nothing to change.
  const population = Population.make({
    count: users,
    seed,
    dfo: { staleEpost: 0, empty: 0, otherBrukerident: 0, absent: 0 }
  })
  const outcomes = expectedOutcomes(population.people, population.dfoRecordOf, {
    writebackBrukerident: false,
    businessRoleExceptions: []
  })
  return population.people.filter((p) => outcomes.get(p.idautoId)?.outcome === "UNCHANGED")
}

export const benchEmail = (person: Person) => `events.${person.index}@bench.uni.no`
const originalEmail = (person: Person) => person.workEmail ?? ""

const emails = (people: ReadonlyArray<Person>, mailOf: (person: Person) => string) =>
  people.map((person) => ({ dn: person.dn, mail: mailOf(person) }))

export const eventsRelevant = (
  ldap: LdapBackend,
  dfo: DfoBackend,
  broker: BrokerBackend,
  params: RelevantParams
): Effect.Effect<Measured, Server.ServerStartError> =>
  EventsServer.measure(ldap, dfo, broker, ({ queue, server, started }) =>
    Effect.gen(function* () {
      const all = changeable(params.users, params.seed)
      if (all.length < warmUp + params.people) {
        return yield* Effect.dieMessage(
          `${params.users} people hold only ${all.length} who can take a change, not ${warmUp + params.people}`
        )
      }
      const warm = all.slice(0, warmUp)
      const people = all.slice(warmUp, warmUp + params.people)

      // Changed, then put back whatever happens: the directory is shared with the scenarios
      // after this one, which expect nothing to change.
      let phaseRestored = false
      yield* Effect.acquireRelease(
        setWorkEmails(ldap, emails([...warm, ...people], benchEmail)),
        () =>
          setWorkEmails(ldap, emails(phaseRestored ? warm : [...warm, ...people], originalEmail))
      )

      const send = (who: ReadonlyArray<Person>, mailOf: (p: Person) => string, rate?: number) =>
        Effect.map(
          publishAll(
            queue,
            who.length,
            (i) =>
              Messages.scimEvent("MODIFY", (who[i] as Person).idautoId, { attributes: ["emails"] }),
            rate
          ),
          (times): ReadonlyArray<Sent> =>
            who.map((person, i) => ({
              id: person.payrollId ?? "",
              at: times[i] ?? 0,
              epost: mailOf(person)
            }))
        )
      // Every PUT in the emulator and every run counted, so the server's CPU is all there.
      const done = (puts: number, runs: number) =>
        Effect.zipRight(
          Poll.until(
            Effect.map(EmulatorAdmin.putCount(dfo), (n) => n >= puts),
            { what: `${puts} PUTs in the emulator`, timeout: "120 seconds", interval: "20 millis" }
          ).pipe(Effect.orDie),
          EventsServer.awaitCounted(server, "run", runs, "30 seconds")
        )
      const serverCpu = () => cpuOfMs(server.pid) ?? 0

      yield* send(warm, benchEmail)
      yield* done(warmUp, warmUp)

      // Throughput first: every event at once, each person's bench e-mail written.
      const burstCpu = serverCpu()
      const burst = yield* send(people, benchEmail)
      yield* done(warmUp + people.length, warmUp + people.length)
      const burstCpuMs = serverCpu() - burstCpu
      const burstStart = burst[0]?.at ?? 0
      const throughput = matchPuts(burst, yield* EmulatorAdmin.requests(dfo))
      const burstMs = throughput.lastArrival - burstStart
      const eventsPerSec = perSecond(people.length, burstMs)

      // Then latency, at a rate this server keeps up with: each event writes the e-mail back.
      yield* setWorkEmails(ldap, emails(people, originalEmail))
      phaseRestored = true
      const plan = steadyPlan(eventsPerSec, params.maxRatePerSec, people.length)
      const steadyPeople = people.slice(0, plan.events)
      const steadyCpu = serverCpu()
      const steady = yield* send(steadyPeople, originalEmail, plan.ratePerSec)
      const total = warmUp + people.length + steadyPeople.length
      yield* done(total, total)
      const steadyCpuMs = serverCpu() - steadyCpu
      const steadyStart = steady[0]?.at ?? 0
      const latency = matchPuts(steady, yield* EmulatorAdmin.requests(dfo))
      const steadyMs = latency.lastArrival - steadyStart
      const figures = summarize(latency.latencies)
      const failed = (m: typeof latency) => m.missing + m.wrong + m.duplicates
      // The row is the throughput phase, measured on the server: its wall time, CPU and peak
      // resident set; the latency phase's figures are beside it.
      return {
        wallMs: burstMs,
        cpuMs: burstCpuMs,
        users: people.length,
        peakRssMb: peakRssOfMb(server.pid) ?? 0,
        metrics: {
          scenarioMs: now() - started,
          eventToPutP50Ms: figures.p50,
          eventToPutP90Ms: figures.p90,
          eventToPutP99Ms: figures.p99,
          eventToPutMeanMs: figures.mean,
          eventToPutMaxMs: figures.max,
          steadyEvents: steadyPeople.length,
          steadyRatePerSec: plan.ratePerSec,
          steadyEventsPerSec: perSecond(steadyPeople.length, steadyMs),
          steadyServerCpuMsPerEvent: steadyCpuMs / Math.max(1, steadyPeople.length),
          eventsPerSec,
          serverCpuMsPerEvent: burstCpuMs / people.length,
          burstEventToPutP99Ms: summarize(throughput.latencies).p99,
          failedEvents: failed(latency) + failed(throughput)
        }
      }
    })
  )
