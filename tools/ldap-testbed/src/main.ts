// `npx ldap-testbed`: a throw-away Portal LDAP for manual runs; Ctrl-C stops it and removes
// its files.
import { Population } from "@dfo-writeback/population"
import { Command, Options } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Option } from "effect"
import * as LdapTestbed from "./LdapTestbed.js"

const users = Options.integer("users").pipe(
  Options.withDefault(200),
  Options.withDescription(
    "the population's first N people to load; `npx dfo-emulator --people N --seed S` holds their DFØ records"
  )
)
const seed = Options.integer("seed").pipe(
  Options.withDefault(1),
  Options.withDescription("generator seed: the same seed gives the same people")
)
const port = Options.integer("port").pipe(
  Options.optional,
  Options.withDescription("port for ldap:// (default: a free one)")
)
const tls = Options.boolean("tls").pipe(
  Options.withDescription("also serve ldaps:// and StartTLS with a throw-away CA")
)

const command = Command.make("ldap-testbed", { users, seed, port, tls }, (flags) =>
  Effect.scoped(
    Effect.gen(function* () {
      const population = Population.make({ count: flags.users, seed: flags.seed })
      const testbed = yield* LdapTestbed.scoped({
        population,
        tls: flags.tls,
        ...Option.match(flags.port, { onNone: () => ({}), onSome: (p) => ({ port: p }) })
      })
      const lines = [
        ...Object.entries(testbed.environment).map(([name, value]) => `${name}=${value}`),
        ...(testbed.ldapsUrl === undefined ? [] : [`# or PORTAL_LDAP_URL=${testbed.ldapsUrl}`]),
        `# ${testbed.employees.length} employees (seed ${flags.seed}); admin ${testbed.adminDn} / ${testbed.adminPassword}`,
        `# ldapsearch -x -H ${testbed.url} -D ${testbed.bindDn} -w ${testbed.password} -b ${testbed.baseDn} -E pr=500/noprompt '(objectClass=idautoPerson)'`,
        `# files in ${testbed.dir}; Ctrl-C stops slapd and removes them`
      ]
      yield* Console.log(lines.join("\n"))
      return yield* Effect.never
    })
  )
)

Command.run(command, { name: "ldap-testbed", version: "0.1.0" })(process.argv).pipe(
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain
)
