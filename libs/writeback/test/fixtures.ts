import { DfoEmployees } from "@dfo-writeback/dfo-api"
import { DfoEmulator, type Emulator, makeEmployee } from "@dfo-writeback/dfo-emulator"
import {
  type AllUsersRequest,
  defaultMapping,
  type RunSummary,
  type UserResult,
  type WritebackEvent
} from "@dfo-writeback/domain"
import { LdapTestbed, type TestbedEntry } from "@dfo-writeback/ldap-testbed"
import { PortalDirectory } from "@dfo-writeback/portal-ldap"
import { assert } from "@effect/vitest"
import { Chunk, Effect, Layer, Redacted, Stream, Tracer } from "effect"
import { Writeback, WritebackConfig } from "../src/index.js"

/** A Portal LDAP person made to hit exactly one rule of CONTRACT §4. */
export const person = (
  name: string,
  payrollId: string | ReadonlyArray<string> | undefined,
  overrides: Record<string, string | ReadonlyArray<string> | undefined> = {}
): TestbedEntry => {
  const entry: Record<string, string | ReadonlyArray<string>> = {
    objectClass: ["top", "inetOrgPerson", "idautoPerson"],
    idautoID: `00000000-0000-4000-8000-${name.padStart(12, "0").slice(-12)}`,
    cn: name,
    sn: name,
    idautoPersonSystem1ID: name,
    idautoPersonSAMAccountName: `${name}-uh`,
    idautoPersonSystem5ID: `${name}@feide.uni.no`,
    idautoPersonSystem2ID: `${name}@uni.no`,
    mail: `${name}@mail.uni.no`,
    idautoDisabled: "FALSE",
    idautoPersonExtBool3: "FALSE",
    idautoPersonAppRoles2: ["Active Directory", "Office 365"],
    idautoPersonAppRoles10: ["iam:employee"]
  }
  if (payrollId !== undefined) entry["idautoPersonPayrollID"] = payrollId
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete entry[key]
    else entry[key] = value
  }
  return entry
}

export const idautoIdOf = (entry: TestbedEntry) => entry["idautoID"] as string

/** DFØ already holds what IAM has (differing only by case); brukerident is the employee number. */
export const inSync = (entry: TestbedEntry, payrollId: string) =>
  makeEmployee({
    id: payrollId,
    eksternIdent: String(entry["idautoPersonSystem5ID"]).toUpperCase(),
    epost: String(entry["idautoPersonSystem2ID"]),
    brukerident: String(entry["idautoPersonPayrollID"])
  })

/** One user per rule; the name says what DFØ or the directory holds. */
export const cases = {
  deleted: person("deleted", "00200001", { idautoPersonExtBool3: "TRUE" }),
  disabled: person("disabled", "00200002", { idautoDisabled: "TRUE" }),
  missing: person("missing", undefined),
  invalid: person("invalid", "20A0003"),
  notEntitled: person("notentitled", "00200005", { idautoPersonAppRoles2: ["Office 365"] }),
  roleException: person("roleexc", "00200006", {
    idautoPersonAppRoles10: ["iam:employee", "iam:external"]
  }),
  notInSap: person("notinsap", "00299999"),
  fetchFails: person("fetchfails", "00200008"),
  unchanged: person("unchanged", "00200009"),
  fresh: person("fresh", "00200010"),
  keepsBrukerident: person("keepsbi", "00200011"),
  updateFails: person("updatefails", "00200012"),
  viaMail: person("viamail", "00200013", { idautoPersonSystem5ID: undefined }),
  noEpost: person("noepost", "00200014", { idautoPersonSystem2ID: undefined }),
  unpadded: person("unpadded", "200015"),
  multiId: person("multiid", ["00200016", "00200017"]),
  tooLong: person("toolong", "00200018", {
    idautoPersonSystem5ID: `${"x".repeat(230)}@feide.uni.no`
  }),
  dupA: person("dupa", "00200019"),
  dupB: person("dupb", "200019"),
  noKey: person("nokey", "00200022")
} as const

export const entries = Object.values(cases)

/** DFØ's side of the cases. */
export const dfoEmployees = () => [
  makeEmployee({ id: "00200001" }),
  makeEmployee({ id: "00200002" }),
  makeEmployee({ id: "00200005" }),
  makeEmployee({ id: "00200006" }),
  makeEmployee({ id: "00200008" }),
  inSync(cases.unchanged, "00200009"),
  makeEmployee({ id: "00200010", eksternIdent: null, epost: "", brukerident: null }),
  makeEmployee({
    id: "00200011",
    eksternIdent: "keepsbi@feide.uni.no",
    epost: "old@uni.no",
    brukerident: "someoneelse"
  }),
  makeEmployee({ id: "00200012", eksternIdent: null }),
  makeEmployee({ id: "00200013", eksternIdent: "", epost: "", brukerident: "viamail" }),
  makeEmployee({ id: "00200014" }),
  makeEmployee({ id: "00200015", eksternIdent: "unpadded@feide.uni.no", brukerident: null }),
  makeEmployee({ id: "00200016" }),
  makeEmployee({ id: "00200018" }),
  makeEmployee({ id: "00200019", eksternIdent: null, epost: null, brukerident: null }),
  // An answer without the brukerident key: no evidence that it is empty.
  makeEmployee({
    id: "00200022",
    eksternIdent: "nokey@feide.uni.no",
    epost: "old@uni.no",
    brukerident: undefined
  })
]

export const rules = { writebackBrukerident: true, businessRoleExceptions: ["iam:external"] }

export const settings = (overrides: Partial<WritebackConfig.WritebackSettings> = {}) => ({
  mapping: defaultMapping,
  rules,
  readOnly: false,
  concurrency: 4,
  bulkList: true,
  maxUpdates: 1000,
  abortAfterConsecutiveFailures: 25,
  ...overrides
})

/** Write (PUT) bodies the emulator received, by the id in the URL. */
export const writes = (emulator: Emulator) =>
  emulator
    .log()
    .filter((entry) => entry.method === "PUT" || entry.method === "PATCH")
    .map((entry) => ({ id: entry.path.split("/").pop() ?? "", body: entry.body }))

export const countBy = (emulator: Emulator, method: string) =>
  emulator.log().filter((entry) => entry.method === method).length

export type Testbed = LdapTestbed.Testbed

/** How a suite talks to its slapd and emulator, beyond the program's own settings. */
export interface Clients {
  readonly dfo?: Partial<DfoEmployees.DfoEmployeesOptions>
  readonly directory?: Partial<Pick<PortalDirectory.Options, "pageSize" | "timeoutMs">>
}

/** The program over the suite's slapd and emulator, with the given settings. */
export const program = (
  overrides: Partial<WritebackConfig.WritebackSettings> = {},
  clients: Clients = {}
) =>
  Effect.gen(function* () {
    const testbed = yield* LdapTestbed.LdapTestbed
    const emulator = yield* DfoEmulator
    return Writeback.layer.pipe(
      Layer.provide(
        Layer.mergeAll(
          PortalDirectory.layer({
            url: testbed.url,
            bindDn: testbed.bindDn,
            bindPassword: Redacted.make(testbed.password),
            baseDn: testbed.baseDn,
            ...clients.directory
          }),
          DfoEmployees.layer({
            baseUrl: emulator.baseUrl,
            apiKey: Redacted.make(emulator.apiKey),
            maxRps: 10_000,
            maxRetries: 1,
            retryBaseMs: 5,
            ...clients.dfo
          }),
          WritebackConfig.layer(settings(overrides))
        )
      )
    )
  })

/**
 * A run of the program over the suite's slapd and emulator: its events, and the names of
 * the spans it opened (which searches of the directory it made, and how many).
 */
export const runTraced = (
  request: AllUsersRequest,
  options: Writeback.RunOptions = {},
  overrides: Partial<WritebackConfig.WritebackSettings> = {},
  clients: Clients = {}
) =>
  Effect.gen(function* () {
    const layer = yield* program(overrides, clients)
    const native = yield* Effect.tracer
    const spans: Array<string> = []
    const tracer = Tracer.make({
      span: (name, ...rest) => {
        spans.push(name)
        return native.span(name, ...rest)
      },
      context: (f, fiber) => native.context(f, fiber)
    })
    const events = yield* Effect.gen(function* () {
      const writeback = yield* Writeback.Service
      return Chunk.toReadonlyArray(yield* Stream.runCollect(writeback.run(request, options)))
    }).pipe(Effect.provide(layer), Effect.withTracer(tracer))
    return { events, spans }
  })

export const users = (events: ReadonlyArray<WritebackEvent>) =>
  events.filter((e): e is UserResult => e._tag === "UserResult")

export const summaryOf = (events: ReadonlyArray<WritebackEvent>) => {
  const last = events[events.length - 1]
  assert.strictEqual(last?._tag, "RunSummary")
  return last as RunSummary
}
