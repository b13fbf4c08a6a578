import { KeyField, Outcome, WritebackService } from "@dfo-writeback/contract"
import { assert, layer } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import { Context, Effect, Layer } from "effect"
import * as Fixture from "./utils/fixture.js"
import {
  type Answer,
  bearer,
  client,
  eventually,
  token,
  writeback,
  type Request
} from "./utils/grpc.js"
import * as LdapTap from "./utils/LdapTap.js"
import * as ServerProcess from "./utils/ServerProcess.js"

/** Named tokens of each scope, beside the fixture's plain one. */
const tokens = {
  auditor: "zq-auditor-9d1e5a7b",
  onboarding: "zq-onboarding-4b7c",
  nightly: "zq-nightly-2a8f6c3d"
}

const authTokens = [
  token,
  `auditor:${tokens.auditor}:dry-run`,
  `onboarding:${tokens.onboarding}:single`,
  `nightly:${tokens.nightly}`
].join(",")

class Services extends Context.Tag("server-test/Callers")<
  Services,
  Fixture.Fixture & { readonly tap: LdapTap.LdapTap }
>() {}

/** The server reaches slapd through a tap that sees every LDAP operation. */
const services = Layer.scoped(
  Services,
  Effect.gen(function* () {
    const { testbed, emulator } = yield* Fixture.backends
    const tap = yield* LdapTap.scoped({ host: "127.0.0.1", port: testbed.port })
    const server = yield* ServerProcess.scoped(
      Fixture.serverEnv(testbed, emulator, {
        PORTAL_LDAP_URL: tap.url,
        GRPC_AUTH_TOKENS: authTokens
      })
    )
    return { testbed, emulator, server, tap }
  })
)

const single = (logOnly: boolean): Request => ({
  keyField: KeyField.USERNAME,
  keyValue: Fixture.alice.username,
  logOnly
})
const all = (logOnly: boolean): Request => ({ processAll: true, logOnly })

const summaryOf = (answer: Answer) => {
  const last = answer.events.at(-1)?.event
  assert(last?.case === "summary", "the call ended with a summary")
  return last.value
}

/** Requests that reached DFØ, the health probe's `GET {base}/00000000` left out. */
const dfoRequests = (fixture: Fixture.Fixture) =>
  fixture.emulator.log().filter((entry) => !entry.path.endsWith("/00000000"))

layer(services, { excludeTestServices: true, timeout: "90 seconds" })("Named callers", (it) => {
  it.scoped(
    "a request outside the token's scope is PERMISSION_DENIED, and neither LDAP nor DFØ is asked",
    () =>
      Effect.gen(function* () {
        const fixture = yield* Services
        fixture.emulator.reset()
        const searchesBefore = fixture.tap.operations().filter((op) => op === "search").length
        const c = yield* client(WritebackService, fixture.server.address)
        const refused: ReadonlyArray<readonly [string, Request]> = [
          [tokens.auditor, single(false)],
          [tokens.auditor, all(false)],
          [tokens.onboarding, all(true)],
          [tokens.onboarding, all(false)]
        ]
        for (const [presented, request] of refused) {
          const answer = yield* writeback(c, request, { metadata: bearer(presented) })
          assert.strictEqual(answer.error?.code, grpc.status.PERMISSION_DENIED)
          assert.match(answer.error?.details ?? "", /^PERMISSION_DENIED: this token's scope is /)
          assert.deepStrictEqual(answer.events, [])
        }
        assert.deepStrictEqual(dfoRequests(fixture), [], "nothing was read from DFØ")
        assert.strictEqual(
          fixture.tap.operations().filter((op) => op === "search").length,
          searchesBefore,
          "LDAP was not searched"
        )
        // A call's log line is written after its status is sent; wait for the last one.
        const denials = () =>
          fixture.server
            .logs()
            .filter((line) => line["message"] === "call" && line["status"] === "PERMISSION_DENIED")
            .map((line) => line["caller"])
        yield* eventually(() => denials().length >= refused.length, "the call log lines")
        assert.deepStrictEqual(denials(), ["auditor", "auditor", "onboarding", "onboarding"])
      })
  )

  it.scoped("the listening line shows how the entries parsed, without a token", () =>
    Effect.gen(function* () {
      const { server } = yield* Services
      const listening = server.logs().find((line) => line["message"] === "listening")
      assert.deepStrictEqual(listening?.["callers"], [
        "(unnamed):full",
        "auditor:dry-run",
        "onboarding:single",
        "nightly:full"
      ])
    })
  )

  it.scoped(
    "within its scope each caller runs, named in RunSummary.caller and the call log; plain tokens keep working",
    () =>
      Effect.gen(function* () {
        const fixture = yield* Services
        fixture.emulator.reset()
        const c = yield* client(WritebackService, fixture.server.address)

        const dryRun = yield* writeback(c, single(true), { metadata: bearer(tokens.auditor) })
        assert.isUndefined(dryRun.error)
        assert.strictEqual(summaryOf(dryRun).caller, "auditor")
        const fullDryRun = yield* writeback(c, all(true), { metadata: bearer(tokens.auditor) })
        assert.isUndefined(fullDryRun.error)
        assert.deepStrictEqual(
          dfoRequests(fixture).filter((entry) => entry.method !== "GET"),
          [],
          "a dry-run caller wrote nothing"
        )

        const written = yield* writeback(c, single(false), { metadata: bearer(tokens.onboarding) })
        assert.isUndefined(written.error)
        const user = written.events.find((event) => event.event.case === "user")?.event
        assert(user?.case === "user")
        assert.strictEqual(user.value.outcome, Outcome.UPDATED)
        assert.strictEqual(summaryOf(written).caller, "onboarding")

        const nightly = yield* writeback(c, all(true), { metadata: bearer(tokens.nightly) })
        assert.isUndefined(nightly.error)
        assert.strictEqual(summaryOf(nightly).caller, "nightly")

        // A client cannot name itself: the server replaces whatever it sends.
        const forged = bearer(token)
        forged.set("x-dfo-writeback-caller", "nightly")
        forged.set("x-dfo-writeback-caller-scope", "full")
        const plain = yield* writeback(c, single(true), { metadata: forged })
        assert.isUndefined(plain.error)
        assert.strictEqual(summaryOf(plain).caller, "")

        assert.include(fixture.tap.operations(), "search", "the tap sees a run's searches")

        const calls = () =>
          fixture.server
            .logs()
            .filter(
              (line) =>
                line["message"] === "call" &&
                line["method"] === `/${WritebackService.typeName}/Writeback` &&
                line["status"] === "OK"
            )
            .map((line) => line["caller"])
        yield* eventually(() => calls().length >= 5, "the call log lines")
        // A plain token's call has no caller, whatever its metadata claimed.
        assert.deepStrictEqual(calls(), ["auditor", "auditor", "onboarding", "nightly", undefined])
        for (const secret of [token, ...Object.values(tokens)]) {
          assert.notInclude(fixture.server.output(), secret, "a token never reaches the log")
        }
      })
  )

  it.scoped("a malformed GRPC_AUTH_TOKENS stops start-up, naming entries but never a token", () =>
    Effect.gen(function* () {
      const { testbed, emulator } = yield* Services
      const env = Fixture.serverEnv(testbed, emulator, {
        GRPC_AUTH_TOKENS: [
          "a:zq-one-7c1d9e2f4a:full:extra",
          "ops:zq-two-7c1d9e2f4a:fulll",
          "bad name:zq-three-7c1d9e2f4a",
          "ops:",
          "x:zq-four-7c1d9e2f4a,y:zq-four-7c1d9e2f4a:dry-run"
        ].join(",")
      })
      const { code, output } = yield* Effect.promise(() => ServerProcess.runToExit(env))
      assert.strictEqual(code, 2)
      for (const problem of [
        "entry 1 of GRPC_AUTH_TOKENS has more than three",
        "entry 2 of GRPC_AUTH_TOKENS: the scope must be one of full, single, dry-run",
        "entry 3 of GRPC_AUTH_TOKENS: the caller name must be",
        "entry 4 of GRPC_AUTH_TOKENS: the token is empty",
        "entry 6 of GRPC_AUTH_TOKENS repeats the token of entry 5"
      ]) {
        assert.include(output, problem)
      }
      assert.notMatch(output, /zq-(one|two|three|four)/)
    })
  )

  it.scoped(
    "a token that is short, a scope word, a placeholder or unsendable, or a name given twice, stops start-up without printing any part of the entry",
    () =>
      Effect.gen(function* () {
        const { testbed, emulator } = yield* Services
        // `<secret>:full`, meant as token:scope, reads as caller "<secret>" with token "full".
        const secrets = {
          asName: "zq5Kd81mXw0Rt7LpQ2",
          short: "zq6Ab3Cd",
          spaced: "zq7 Ef4Gh5 Ij6Kl7Mn",
          nonAscii: "zq8Øp9Qr0St1Uv2Wx",
          placeholder: "Replace-Me-With-A-Token",
          repeated: "xxxxxxxxxxxxxxxxxxxx",
          first: "zq9Yz3Ab4Cd5Ef6Gh7",
          second: "zq0Ij8Kl9Mn0Op1Qr2"
        }
        const env = Fixture.serverEnv(testbed, emulator, {
          GRPC_AUTH_TOKENS: [
            `${secrets.asName}:full`,
            secrets.short,
            `n3:${secrets.spaced}`,
            `n4:${secrets.nonAscii}:single`,
            `n5:${secrets.placeholder}`,
            secrets.repeated,
            `ops:${secrets.first}:full`,
            `ops:${secrets.second}:dry-run`
          ].join(",")
        })
        const { code, logs, output } = yield* Effect.promise(() => ServerProcess.runToExit(env))
        assert.strictEqual(code, 2, output)
        const errors = logs.filter((line) => line["level"] === "error")
        assert.strictEqual(errors.length, 1, "one message lists every problem")
        const message = String(errors[0]?.["message"])
        for (const problem of [
          "entry 1 of GRPC_AUTH_TOKENS: the token is a scope word",
          "entry 2 of GRPC_AUTH_TOKENS: the token is shorter than 16 characters",
          "entry 3 of GRPC_AUTH_TOKENS: the token holds a character a client cannot send",
          "entry 4 of GRPC_AUTH_TOKENS: the token holds a character a client cannot send",
          "entry 5 of GRPC_AUTH_TOKENS: the token is a placeholder",
          "entry 6 of GRPC_AUTH_TOKENS: the token is a placeholder",
          "entry 8 of GRPC_AUTH_TOKENS repeats the caller name of entry 7"
        ]) {
          assert.include(message, problem)
        }
        assert.notInclude(output, "listening")
        for (const secret of Object.values(secrets)) {
          for (const part of secret.split(" ")) assert.notInclude(output, part)
        }
        assert.notInclude(output.toLowerCase(), "replace-me")
      })
  )
})
