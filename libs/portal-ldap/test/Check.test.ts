import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { PortalDirectory } from "../src/index.js"
import { currentTcpSockets, optionsFor, settledTcpSockets } from "./support.js"

layer(LdapTestbed.layer({ users: 3, seed: 5 }), { timeout: "60 seconds" })(
  "PortalDirectory.check (the server's health probe)",
  (it) => {
    it.scoped("binds on a connection of its own and closes it", () =>
      Effect.gen(function* () {
        const testbed = yield* LdapTestbed.LdapTestbed
        const directory = yield* PortalDirectory.make(optionsFor(testbed))
        const before = yield* currentTcpSockets
        yield* directory.check()
        yield* directory.check()
        assert.strictEqual(yield* settledTcpSockets(before), before, "no connection left open")
      })
    )

    it.scoped("fails at the bind step with a wrong password, which it never names", () =>
      Effect.gen(function* () {
        const testbed = yield* LdapTestbed.LdapTestbed
        const directory = yield* PortalDirectory.make(
          optionsFor(testbed, { bindPassword: Redacted.make("zq-wrong-password") })
        )
        const error = yield* Effect.flip(directory.check())
        assert.strictEqual(error.step, "bind")
        assert.notInclude(error.message, "zq-wrong-password")
      })
    )

    it.scoped("fails at the connect step while the directory is down", () =>
      Effect.gen(function* () {
        const testbed = yield* LdapTestbed.LdapTestbed
        const directory = yield* PortalDirectory.make(optionsFor(testbed))
        yield* Effect.promise(() => testbed.kill())
        const error = yield* Effect.flip(directory.check())
        yield* Effect.promise(() => testbed.restart())
        assert.strictEqual(error.step, "connect")
        yield* directory.check()
      })
    )
  }
)
