// One scenario in a process of its own, so its peak RSS (VmHWM) and CPU time are its own:
// `node dist/scenario.js <name> <json ScenarioInput>` prints one JSON line (ChildOutput).
// Each kind imports only its own modules, so a floor's figures carry no gRPC or Effect code.
import type { ChildOutput, Measured, ScenarioInput } from "./internal/protocol.js"
import { peakRssMb } from "./internal/rss.js"

const required = <A>(value: A | undefined, what: string): A => {
  if (value === undefined) throw new Error(`this scenario needs ${what}`)
  return value
}

/** The slapd, emulator and broker an events scenario runs the server over. */
const eventBackends = (input: ScenarioInput) =>
  [
    required(input.ldap, "LDAP"),
    required(input.dfo, "DFØ"),
    required(input.broker, "the broker")
  ] as const

/** The population's people the backends hold, rebuilt from their seed. */
const people = async (input: ScenarioInput) => {
  const { Population } = await import("@dfo-writeback/population")
  return Population.make({ count: input.users, seed: input.seed }).people
}

const measure = async (input: ScenarioInput): Promise<Measured> => {
  const { params } = input
  switch (params.kind) {
    case "ldapsearch": {
      const { ldapsearch } = await import("./scenarios/Floors.js")
      return ldapsearch(required(input.ldap, "LDAP"), params.attributes)
    }
    case "ldapts": {
      const { ldapts } = await import("./scenarios/Floors.js")
      return ldapts(required(input.ldap, "LDAP"), params.attributes)
    }
  }
  const { Effect } = await import("effect")
  switch (params.kind) {
    case "stream": {
      const { streamAll } = await import("./scenarios/Stream.js")
      return Effect.runPromise(streamAll(required(input.ldap, "LDAP")))
    }
    case "dfo-client": {
      const { dfoClient } = await import("./scenarios/DfoClient.js")
      const ids = (await people(input)).flatMap((p) => p.payrollId ?? [])
      return Effect.runPromise(
        dfoClient(required(input.dfo, "DFØ"), ids, params.requests, params.concurrencies)
      )
    }
    case "full-run": {
      const { fullRun } = await import("./scenarios/FullRun.js")
      return Effect.runPromise(
        fullRun(
          required(input.ldap, "LDAP"),
          required(input.dfo, "DFØ"),
          params.env,
          params.changedSinceSeconds
        )
      )
    }
    case "grpc": {
      const { grpcSingleUser } = await import("./scenarios/Grpc.js")
      const usernames = (await people(input)).flatMap((p) => p.username ?? [])
      return Effect.runPromise(
        grpcSingleUser(required(input.ldap, "LDAP"), required(input.dfo, "DFØ"), {
          ...params,
          usernames
        })
      )
    }
    case "events-relevant": {
      const { eventsRelevant } = await import("./scenarios/EventsRelevant.js")
      return Effect.runPromise(
        eventsRelevant(...eventBackends(input), {
          users: input.users,
          seed: input.seed,
          ...params
        })
      )
    }
    case "events-irrelevant": {
      const { eventsIrrelevant } = await import("./scenarios/EventsIrrelevant.js")
      return Effect.runPromise(eventsIrrelevant(...eventBackends(input), params.events))
    }
  }
}

const [name = "", json = "{}"] = process.argv.slice(2)
try {
  const measured = await measure(JSON.parse(json) as ScenarioInput)
  const output: ChildOutput = { peakRssMb: peakRssMb(), ...measured }
  process.stdout.write(`${JSON.stringify(output)}\n`)
} catch (error) {
  process.stderr.write(`scenario ${name} failed: ${String(error)}\n`)
  process.exitCode = 1
}
