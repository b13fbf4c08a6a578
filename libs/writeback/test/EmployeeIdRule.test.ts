// One rule for an employee id in every path (full run, single-user run, apply), against a
// real slapd: a value holding the digits plus a TAB, CR, BOM or U+2028 is INVALID_ATTRIBUTES,
// and still claims its employee, so a well-formed entry with the same id is never written.
import { DfoEmulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import {
  AllUsersRequest,
  defaultMapping,
  type RunError,
  SingleUserRequest,
  type WritebackEvent,
  type WritebackRequest
} from "@dfo-writeback/domain"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import { assert, describe, layer } from "@effect/vitest"
import { Chunk, Effect, Either, Layer, Stream } from "effect"
import { Plan, Writeback } from "../src/index.js"
import * as F from "./fixtures.js"

/**
 * Well-formed entries and, beside each, one whose id holds the same digits and more. (A
 * leading BOM never reaches the program: ldapts decodes values with TextDecoder, which
 * drops it; the trailing one stays.)
 */
const people = {
  wellTab: F.person("idwelltab", "00400001"),
  tab: F.person("idtab", "00400001\t"),
  wellBom: F.person("idwellbom", "400002"),
  bom: F.person("idbom", "00400002\uFEFF"),
  wellCr: F.person("idwellcr", "00400003"),
  cr: F.person("idcr", "400003\r"),
  lineSeparator: F.person("idls", "00400004\u2028"),
  spaced: F.person("idspaced", " 00400005 "),
  twinPadded: F.person("idtwina", "00400006"),
  twinBare: F.person("idtwinb", "400006")
}
const claimed = ["00400001", "00400002", "00400003", "00400004", "00400006"]
const stale = (id: string) =>
  makeEmployee({ id, eksternIdent: null, epost: "old@uni.no", brukerident: null })

const services = Layer.mergeAll(
  LdapTestbed.layer({ entries: Object.values(people) }),
  DfoEmulator.layer({ employees: [...claimed, "00400005"].map(stale) })
)

const collect = (events: (writeback: Writeback.Shape) => Stream.Stream<WritebackEvent, RunError>) =>
  Effect.gen(function* () {
    const program = yield* F.program()
    return yield* Effect.gen(function* () {
      const writeback = yield* Writeback.Service
      return Chunk.toReadonlyArray(yield* Stream.runCollect(events(writeback)))
    }).pipe(Effect.provide(program))
  })

const run = (request: WritebackRequest) =>
  Effect.map(
    collect((writeback) => writeback.run(request, { caller: "tests" })),
    F.users
  )

const one = (name: string) =>
  run(new SingleUserRequest({ keyField: "username", keyValue: name, logOnly: false }))

const byEmployeeId = (id: string) =>
  run(new SingleUserRequest({ keyField: "employee-id", keyValue: id, logOnly: false }))

const outcomeOf = (result: { outcome: string; skipReason?: string | undefined }) =>
  result.skipReason === undefined ? result.outcome : `${result.outcome}/${result.skipReason}`

const fresh = Effect.gen(function* () {
  const emulator = yield* DfoEmulator
  emulator.reset()
  return emulator
})

/** Requests that wrote to any claimed employee. */
const claimedWrites = (emulator: DfoEmulator["Type"]) =>
  F.writes(emulator).filter((w) => claimed.includes(w.id))

describe("The employee id rule", () => {
  layer(services, { timeout: "90 seconds", excludeTestServices: true })(
    "over slapd and DFØ",
    (it) => {
      it.effect(
        "a single-user run writes neither entry: the malformed one is INVALID_ATTRIBUTES, the well-formed one DUPLICATE_EMPLOYEE_ID",
        () =>
          Effect.gen(function* () {
            const emulator = yield* fresh
            const expected: ReadonlyArray<readonly [string, string, RegExp]> = [
              ["idwelltab", "SKIPPED/DUPLICATE_EMPLOYEE_ID", /idtab/],
              [
                "idtab",
                "SKIPPED/INVALID_ATTRIBUTES",
                /idautoPersonPayrollID\) is not 1–8 digits.*holds U\+0009/
              ],
              ["idwellbom", "SKIPPED/DUPLICATE_EMPLOYEE_ID", /idbom/],
              ["idbom", "SKIPPED/INVALID_ATTRIBUTES", /holds U\+FEFF at character 9/],
              ["idwellcr", "SKIPPED/DUPLICATE_EMPLOYEE_ID", /idcr/],
              ["idcr", "SKIPPED/INVALID_ATTRIBUTES", /holds U\+000D/],
              ["idls", "SKIPPED/INVALID_ATTRIBUTES", /holds U\+2028/]
            ]
            for (const [name, outcome, message] of expected) {
              const [result, ...rest] = yield* one(name)
              assert.deepStrictEqual(rest, [])
              assert(result !== undefined)
              assert.strictEqual(outcomeOf(result), outcome, `${name}: ${result.message}`)
              assert.match(result.message, message, name)
            }
            assert.deepStrictEqual(claimedWrites(emulator), [])
          })
      )

      it.effect("spaces around the digits are allowed: that entry is written", () =>
        Effect.gen(function* () {
          const emulator = yield* fresh
          const [result] = yield* one("idspaced")
          assert.strictEqual(result?.outcome, "UPDATED", result?.message)
          assert.strictEqual(result?.sapId, "00400005")
          assert.deepStrictEqual(
            F.writes(emulator).map((w) => w.id),
            ["00400005"]
          )
        })
      )

      it.effect(
        "a run by employee-id finds the entry whatever its zero-padding and writes it",
        () =>
          Effect.gen(function* () {
            for (const id of ["400005", "0400005", "00400005", " 400005 "]) {
              const emulator = yield* fresh
              const results = yield* byEmployeeId(id)
              assert.deepStrictEqual(results.map(outcomeOf), ["UPDATED"], id)
              assert.strictEqual(results[0]?.username, "idspaced")
              assert.deepStrictEqual(
                F.writes(emulator).map((w) => w.id),
                ["00400005"]
              )
            }
          })
      )

      it.effect(
        "a run by employee-id still refuses an id a malformed entry also claims (check 6a)",
        () =>
          Effect.gen(function* () {
            const emulator = yield* fresh
            const [result, ...rest] = yield* byEmployeeId("400001")
            assert.deepStrictEqual(rest, [])
            assert.strictEqual(result?.username, "idwelltab")
            assert.strictEqual(result && outcomeOf(result), "SKIPPED/DUPLICATE_EMPLOYEE_ID")
            assert.match(result?.message ?? "", /idtab/)
            // Only a malformed value holds 400004: no entry matches the key.
            const missing = yield* Effect.flip(byEmployeeId("400004"))
            assert.strictEqual(missing._tag, "UserNotFound")
            assert.deepStrictEqual(F.writes(emulator), [])
          })
      )

      it.effect("a run by employee-id that two entries hold by numeric value is ambiguous", () =>
        Effect.gen(function* () {
          const emulator = yield* fresh
          const error = yield* Effect.flip(byEmployeeId("00400006"))
          assert.strictEqual(error._tag, "AmbiguousKey")
          if (error._tag === "AmbiguousKey") assert.strictEqual(error.matches, 2)
          assert.deepStrictEqual(F.writes(emulator), [])
        })
      )

      it.effect("a full run decides every entry as the single-user runs do", () =>
        Effect.gen(function* () {
          const emulator = yield* fresh
          const results = yield* run(new AllUsersRequest({ logOnly: false, maxUpdates: 0 }))
          const byName = Object.fromEntries(results.map((r) => [r.username, outcomeOf(r)]))
          assert.deepStrictEqual(byName, {
            idwelltab: "SKIPPED/DUPLICATE_EMPLOYEE_ID",
            idtab: "SKIPPED/INVALID_ATTRIBUTES",
            idwellbom: "SKIPPED/DUPLICATE_EMPLOYEE_ID",
            idbom: "SKIPPED/INVALID_ATTRIBUTES",
            idwellcr: "SKIPPED/DUPLICATE_EMPLOYEE_ID",
            idcr: "SKIPPED/INVALID_ATTRIBUTES",
            idls: "SKIPPED/INVALID_ATTRIBUTES",
            idspaced: "UPDATED",
            idtwina: "SKIPPED/DUPLICATE_EMPLOYEE_ID",
            idtwinb: "SKIPPED/DUPLICATE_EMPLOYEE_ID"
          })
          assert.deepStrictEqual(claimedWrites(emulator), [])
        })
      )

      it.effect("apply of a plan naming a well-formed claimant writes nothing", () =>
        Effect.gen(function* () {
          const emulator = yield* fresh
          const body = {
            version: 1 as const,
            created_at: new Date().toISOString(),
            settings: Plan.settingsOf({
              baseUrl: emulator.baseUrl,
              mapping: defaultMapping,
              rules: F.rules
            }),
            skipped_by_reason: {},
            users: [
              {
                idauto_id: F.idautoIdOf(people.wellTab),
                sap_id: "00400001",
                changes: [
                  { field: "epost" as const, before: "old@uni.no", after: "idwelltab@uni.no" }
                ] as const,
                kept_fields: []
              }
            ]
          }
          const plan = Plan.decode(Plan.encode({ ...body, digest: Plan.digestOf(body) }), {
            settings: body.settings,
            maxAgeHours: 24,
            now: new Date()
          })
          assert(Either.isRight(plan))
          const events = yield* collect((writeback) => writeback.apply(plan.right))
          const results = F.users(events)
          assert.deepStrictEqual(results.map(outcomeOf), ["SKIPPED/DUPLICATE_EMPLOYEE_ID"])
          assert.deepStrictEqual(claimedWrites(emulator), [])
        })
      )
    }
  )
})
