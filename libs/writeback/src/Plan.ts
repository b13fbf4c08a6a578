import {
  AttributeMapping,
  DfoField,
  employeeKey,
  type SkipCounts,
  type UserResult,
  type WritebackRules
} from "@dfo-writeback/domain"
import { Either, Schema } from "effect"
import { createHash } from "node:crypto"
import {
  PlanAltered,
  PlanExpired,
  PlanMalformed,
  PlanOtherSettings,
  type PlanRefused
} from "./PlanError.js"
import { shapeProblem } from "./internal/jsonShape.js"
import { describeIssue } from "./internal/planIssues.js"
import { defaultPlanMaxAgeHours } from "./WritebackConfig.js"

/**
 * The plan file format this version writes. Version 2 added each user's `username`, the
 * plan's `made_by` and `comment`; a version 1 plan (made before, at most
 * `WRITEBACK_PLAN_MAX_AGE_HOURS` ago) is still read and applied as it is: its rows show no
 * username. A program that reads only version 1 refuses a version 2 plan, writing nothing.
 */
export const version = 2

/** The plan file formats this version reads. */
export const versions = [1, 2] as const

/** The longest `comment` a plan holds: a ticket number and a sentence, not a document. */
export const maxCommentLength = 500

/**
 * The largest plan file `apply` reads. Measured: 50 000 users changing `eksternIdent` and
 * `epost` (30-character addresses) make 23 MiB; with every value at DFØ's 241-character
 * limit, 69 MiB. The limit holds that with room, while `/dev/zero` or a runaway file cannot
 * grow the process (gRPC `Apply` is capped at 4 MB already).
 */
export const maxFileBytes = 96 * 1024 * 1024

/**
 * The deepest nesting a plan has (a mapping's list of attribute names: 4), with room to
 * spare; deeper input is refused before it is parsed.
 */
export const maxDepth = 8

/** One field a plan writes: DFØ held `before` when planned, the directory derived `after`. */
export const PlannedChange = Schema.Struct({
  field: DfoField,
  before: Schema.String,
  after: Schema.String
})
export type PlannedChange = typeof PlannedChange.Type

/** One user a plan writes. */
export const PlannedUser = Schema.Struct({
  idauto_id: Schema.String,
  /** The directory's username, for the people who review the plan (version 2). */
  username: Schema.optionalWith(Schema.String, { exact: true }),
  sap_id: Schema.String,
  changes: Schema.NonEmptyArray(PlannedChange),
  kept_fields: Schema.Array(DfoField)
})
export type PlannedUser = typeof PlannedUser.Type

/** The settings that shape a plan: never a secret. */
export const PlanSettings = Schema.Struct({
  base_url: Schema.String,
  mapping: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  rules: Schema.Struct({
    writeback_brukerident: Schema.Boolean,
    business_role_exceptions: Schema.Array(Schema.String)
  })
})
export type PlanSettings = typeof PlanSettings.Type

/** A reviewed plan (CONTRACT §7): what `writeback apply` writes, and nothing else. */
export const Plan = Schema.Struct({
  version: Schema.Literal(...versions),
  created_at: Schema.String.pipe(
    Schema.filter((s) => !Number.isNaN(Date.parse(s)), { message: () => "not a timestamp" })
  ),
  /** Who made the plan (the CLI's caller), for the people who review it (version 2). */
  made_by: Schema.optionalWith(Schema.String, { exact: true }),
  /** `plan --comment`: a ticket, a reviewer, why (version 2); covered by the digest. */
  comment: Schema.optionalWith(Schema.String.pipe(Schema.maxLength(maxCommentLength)), {
    exact: true
  }),
  settings: PlanSettings,
  /** The run's skips by reason when the plan was made, for the people who review it. */
  skipped_by_reason: Schema.Record({ key: Schema.String, value: Schema.Number }),
  users: Schema.Array(PlannedUser),
  /** `sha256:` and the hex SHA-256 of the canonical JSON of every other field. */
  digest: Schema.String
})
export type Plan = typeof Plan.Type

/** The plan-shaping settings of this configuration. */
export const settingsOf = (options: {
  readonly baseUrl: string
  readonly mapping: AttributeMapping
  readonly rules: WritebackRules
}): PlanSettings => ({
  base_url: options.baseUrl,
  mapping: Schema.encodeSync(AttributeMapping)(options.mapping) as unknown as Record<
    string,
    unknown
  >,
  rules: {
    writeback_brukerident: options.rules.writebackBrukerident,
    business_role_exceptions: [...options.rules.businessRoleExceptions].sort()
  }
})

/** What `apply` holds a plan to: the settings that shape it, and how old it may be. */
export interface Review {
  readonly settings: PlanSettings
  readonly maxAgeHours: number
}

/** The review of a configuration, as both apps read it. */
export const reviewOf = (options: {
  readonly baseUrl: string
  readonly mapping: AttributeMapping
  readonly rules: WritebackRules
  readonly maxAgeHours?: number | undefined
}): Review => ({
  settings: settingsOf(options),
  maxAgeHours: options.maxAgeHours ?? defaultPlanMaxAgeHours
})

/** JSON with object keys sorted at every depth: the same data, the same text. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0
          )
        )
      : v
  )

/** The digest over every field but `digest`. */
export const digestOf = (plan: Omit<Plan, "digest">): string => {
  const { digest: _ignored, ...rest } = plan as Plan
  return `sha256:${createHash("sha256").update(canonicalJson(rest)).digest("hex")}`
}

// Norwegian order (æ, ø, å last), as `writeback report` sorts its people.
const collator = new Intl.Collator("nb")

/** A plan from a dry run's results: each WOULD_UPDATE user, with its changes, by username. */
export const make = (options: {
  readonly settings: PlanSettings
  readonly results: ReadonlyArray<UserResult>
  readonly skippedByReason: SkipCounts
  readonly now: Date
  /** Who makes it (the caller). */
  readonly madeBy?: string | undefined
  readonly comment?: string | undefined
}): Plan => {
  const users: Array<PlannedUser> = []
  for (const result of options.results) {
    const [first, ...rest] = result.changes
    if (result.outcome !== "WOULD_UPDATE" || first === undefined) continue
    users.push({
      idauto_id: result.idautoId,
      username: result.username,
      sap_id: result.sapId,
      changes: [first, ...rest].map(({ field, before, after }) => ({ field, before, after })) as [
        PlannedChange,
        ...Array<PlannedChange>
      ],
      kept_fields: [...result.keptFields]
    })
  }
  users.sort(
    (a, b) =>
      collator.compare(a.username ?? "", b.username ?? "") ||
      (a.idauto_id < b.idauto_id ? -1 : a.idauto_id > b.idauto_id ? 1 : 0)
  )
  const body = {
    version,
    created_at: options.now.toISOString(),
    ...(options.madeBy === undefined ? {} : { made_by: options.madeBy }),
    ...(options.comment === undefined ? {} : { comment: options.comment }),
    settings: options.settings,
    skipped_by_reason: { ...options.skippedByReason } as Record<string, number>,
    users
  } as const
  return { ...body, digest: digestOf(body) }
}

/** The plan file's text. */
export const encode = (plan: Plan): string => `${JSON.stringify(plan, null, 2)}\n`

const decodePlan = Schema.decodeUnknownEither(Plan, { onExcessProperty: "error", errors: "all" })

/** A `version` this program does not read, said before any other problem: the rest follows from it. */
const unknownVersion = (json: unknown): string | undefined => {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return "not a JSON object"
  if (!("version" in json)) return undefined
  const given = (json as { readonly version: unknown }).version
  return (versions as ReadonlyArray<unknown>).includes(given)
    ? undefined
    : `version ${JSON.stringify(given)?.slice(0, 20)} is not one this program reads (${versions.join(", ")}); ` +
        "a newer writeback made it, or it is not a plan"
}

/**
 * A user listed twice, by `idauto_id` or by employee id (numeric value): a plan names each
 * user once, or one record would be written by several concurrent requests.
 */
const repeatedUser = (users: ReadonlyArray<PlannedUser>): string | undefined => {
  const byIdautoId = new Map<string, number>()
  const bySapId = new Map<string, number>()
  for (const [index, user] of users.entries()) {
    const idautoId = user.idauto_id.trim().toLowerCase()
    const sapId = employeeKey(user.sap_id.trim())
    const earlier = byIdautoId.get(idautoId) ?? bySapId.get(sapId)
    if (earlier !== undefined) {
      return (
        `user ${index + 1} (idauto_id ${JSON.stringify(user.idauto_id.slice(0, 64))}, ` +
        `sap_id ${JSON.stringify(user.sap_id.slice(0, 16))}) repeats user ${earlier}`
      )
    }
    byIdautoId.set(idautoId, index + 1)
    bySapId.set(sapId, index + 1)
  }
  return undefined
}

/**
 * Reads a plan file, refusing it (one typed error each) when it is not a plan, altered
 * since it was made, made with other settings, or older than `maxAgeHours`.
 */
export const decode = (
  text: string,
  options: {
    readonly settings: PlanSettings
    readonly maxAgeHours: number
    readonly now: Date
    /** The file it was read from, named in a `PlanMalformed`. */
    readonly file?: string | undefined
  }
): Either.Either<Plan, PlanRefused> => {
  const malformed = (reason: string) =>
    Either.left(
      new PlanMalformed(options.file === undefined ? { reason } : { reason, file: options.file })
    )
  const shape = shapeProblem(text, maxDepth)
  if (shape !== undefined) return malformed(shape)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    return malformed(`not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`)
  }
  const unread = unknownVersion(json)
  if (unread !== undefined) return malformed(unread)
  const decoded = decodePlan(json)
  if (Either.isLeft(decoded)) return malformed(describeIssue(decoded.left.issue))
  const plan = decoded.right
  const repeated = repeatedUser(plan.users)
  if (repeated !== undefined) return malformed(repeated)
  const actual = digestOf(plan)
  if (actual !== plan.digest) {
    return Either.left(new PlanAltered({ expected: plan.digest, actual }))
  }
  const wanted = options.settings
  const differing = (["base_url", "mapping", "rules"] as const).filter(
    (key) => canonicalJson(plan.settings[key]) !== canonicalJson(wanted[key])
  )
  if (differing.length > 0) return Either.left(new PlanOtherSettings({ differing }))
  const ageHours = (options.now.getTime() - Date.parse(plan.created_at)) / 3_600_000
  if (ageHours < -1 / 60) {
    // A clock a minute ahead is tolerated; a plan from the future was not made here.
    return malformed(`created_at ${plan.created_at} is in the future`)
  }
  if (ageHours > options.maxAgeHours) {
    return Either.left(
      new PlanExpired({ createdAt: plan.created_at, ageHours, maxAgeHours: options.maxAgeHours })
    )
  }
  return Either.right(plan)
}
