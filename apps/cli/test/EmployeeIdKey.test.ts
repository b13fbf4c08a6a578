// `--key-field employee-id` with the built CLI as a process, against a real slapd and the
// DFØ emulator over HTTP (CONTRACT §2, §7).
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { backendEnvironment, jsonLines, runCli } from "./CliProcess.js"

/** An eligible person whose id the directory holds without leading zeros. */
const bare = {
  idautoID: "00000000-0000-4000-8000-00000030202a",
  idautoPersonSystem1ID: "bare",
  idautoPersonPayrollID: "30202",
  idautoPersonSystem5ID: "bare@uni.no",
  idautoPersonSystem2ID: "bare.person@uni.no",
  idautoPersonAppRoles2: "Active Directory"
}

const backends = Layer.mergeAll(
  LdapTestbed.layer({ entries: [bare] }),
  DfoEmulator.layer({
    employees: [makeEmployee({ id: "00030202", epost: "old@uni.no", eksternIdent: null })]
  })
)

const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.promise(() => runCli(args, env))

const byEmployeeId = (value: string) => ["run", "--key-field", "employee-id", "--key-value", value]

describe("writeback run --key-field employee-id", () => {
  layer(backends, { timeout: "120 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect("finds 30202 held as 30202 for DFØ's 00030202 and writes it; exit 0", () =>
        Effect.gen(function* () {
          const { env, emulator } = yield* backendEnvironment()
          const run = yield* cli([...byEmployeeId("00030202"), "--json"], env)
          assert.strictEqual(run.code, 0, run.stderr)
          const users = jsonLines(run.stdout).flatMap((line) =>
            line["user"] === undefined ? [] : [line["user"] as Record<string, unknown>]
          )
          assert.deepStrictEqual(
            users.map((user) => [user["username"], user["outcome"]]),
            [["bare", "OUTCOME_UPDATED"]]
          )
          assert.deepStrictEqual(
            emulator
              .log()
              .filter((entry) => entry.method === "PUT")
              .map((entry) => entry.path),
            [`${emulator.basePath}/30202`]
          )
        })
      )

      it.effect("an id no entry holds exits 3 and writes nothing", () =>
        Effect.gen(function* () {
          const { env, emulator } = yield* backendEnvironment()
          const run = yield* cli(byEmployeeId("30203"), env)
          assert.strictEqual(run.code, 3, run.stderr)
          assert.include(run.stderr, "NOT_FOUND")
          assert.strictEqual(emulator.stats().requests, 0)
        })
      )
    }
  )

  it.effect("a value that is no employee id is a usage error: exit 64, nothing read", () =>
    Effect.gen(function* () {
      for (const value of ["1*)(objectClass=*", "123456789"]) {
        // No directory or DFØ is configured: a read would fail with exit 2, not 64.
        const run = yield* cli(byEmployeeId(value), {})
        assert.strictEqual(run.code, 64, `${value}: ${run.stdout}${run.stderr}`)
        assert.include(run.stderr, "key_value for employee-id must be 1–8 digits", value)
      }
    })
  )
})
