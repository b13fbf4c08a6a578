import { X509Certificate } from "node:crypto"
import { readFileSync, statSync } from "node:fs"
import { readFile } from "node:fs/promises"
import { Settings as Setting } from "@dfo-writeback/edge"
import {
  AmbiguousKey,
  type AttributeMapping,
  claimedEmployeeKeys,
  ConfiguredMapping,
  decodePortalUser,
  defaultMapping,
  employeeIdSpellings,
  employeeKey,
  type LdapEntry,
  keyAttribute,
  type KeyField,
  type LdapConnectionError,
  type PortalUser,
  readEmployeeId,
  requestedAttributes,
  secretConfig,
  UserNotFound
} from "@dfo-writeback/domain"
import {
  Chunk,
  Config,
  ConfigError,
  Context,
  Effect,
  Either,
  Exit,
  Layer,
  Option,
  type Redacted,
  type Scope,
  Stream
} from "effect"
import { connect, failure, operation, type Settings } from "./internal/connection.js"
import { toLdapEntry } from "./internal/entry.js"
import {
  allPeopleFilter,
  equalsAnyFilter,
  holdingDigitsFilter,
  keyFilter
} from "./internal/filter.js"
import { makeShared } from "./internal/shared.js"
import * as LdapMetrics from "./LdapMetrics.js"
import { settings as declared } from "./LdapSettings.js"

/** The Portal LDAP as the writeback reads it (CONTRACT §2). */
export interface Service {
  /**
   * The one `idautoPerson` whose key attribute equals `value` (compared as the directory
   * compares, case-insensitively; `employee-id` by numeric value, among the values the
   * employee id rule reads as an id). None is `UserNotFound`, several are `AmbiguousKey`.
   */
  readonly findByKey: (
    keyField: KeyField,
    value: string
  ) => Effect.Effect<PortalUser, UserNotFound | AmbiguousKey | LdapConnectionError>
  /**
   * Every `idautoPerson` under the base DN, read with the Simple Paged Results control on a
   * connection of its own. A page is requested only when the consumer has taken the previous
   * one, so memory stays at one page; ending or interrupting the stream closes the search.
   */
  readonly streamAll: () => Stream.Stream<PortalUser, LdapConnectionError>
  /**
   * Every entry's employee id values, read like `streamAll` but asking only for the
   * idautoID and the employee id: a full run's cheap first pass to find the ids that
   * several entries claim (CONTRACT §4 check 6a).
   */
  readonly streamEmployeeIds: () => Stream.Stream<EmployeeIdClaim, LdapConnectionError>
  /**
   * Every entry that claims employee `id` under the employee id rule (`claimedEmployeeKeys`:
   * `30202`, `00030202` and `30202` with a stray TAB alike), whichever value of the
   * attribute claims it: a single-user run's one extra search for others claiming its
   * employee, finding every entry a full run's claim pass would group with it.
   */
  readonly findByEmployeeId: (
    id: string
  ) => Effect.Effect<ReadonlyArray<PortalUser>, LdapConnectionError>
  /** Opens a connection of its own, binds and closes it: the server's health probe. */
  readonly check: () => Effect.Effect<void, LdapConnectionError>
}

/** The employee id values one entry holds, as held (blank values left out). */
export interface EmployeeIdClaim {
  readonly dn: string
  readonly idautoId: string | undefined
  readonly employeeIds: ReadonlyArray<string>
}

export class PortalDirectory extends Context.Tag("@dfo-writeback/portal-ldap/PortalDirectory")<
  PortalDirectory,
  Service
>() {}

export interface Options {
  /** `ldap://host[:port]` or `ldaps://host[:port]`. */
  readonly url: string
  readonly bindDn: string
  readonly bindPassword: Redacted.Redacted<string>
  /** Default as `LdapSettings` declares it, as for every option below. */
  readonly baseDn?: string
  /** StartTLS on an `ldap://` URL. */
  readonly startTls?: boolean
  /** PEM CA bundle trusted for TLS instead of the system's. */
  readonly caFile?: string | undefined
  /** Paged-search page size. */
  readonly pageSize?: number
  /** TCP connect and TLS handshake, each. */
  readonly connectTimeoutMs?: number
  /** Each LDAP operation: bind, a lookup, one page. */
  readonly timeoutMs?: number
  /** Default: the contract's RapidIdentity names. */
  readonly mapping?: AttributeMapping
}

export const defaultBaseDn = declared.baseDn.default

const positiveInteger = ({ default: fallback, name }: Setting.Declared<"integer", number>) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    // A validation's error carries no path, so the message names the variable.
    Config.validate({ message: `${name} must be a positive integer`, validation: (n) => n > 0 })
  )

/** Node.js timers overflow above 2^31 − 1 ms and then fire at once: every bind would time out. */
const timeout = (entry: Setting.Declared<"integer", number>) =>
  positiveInteger(entry).pipe(
    Config.validate({
      message: `${entry.name} must be at most ${Setting.maxTimerMs} ms`,
      validation: (n) => n <= Setting.maxTimerMs
    })
  )

/** A CA bundle holds at least one PEM certificate and nothing that fails to parse as one. */
const caBundleProblem = (path: string): string | undefined => {
  let text: string
  try {
    if (!statSync(path).isFile()) return `${path} is not a regular file`
    text = readFileSync(path, "utf8")
  } catch (error) {
    return `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
  if (blocks.length === 0) return `${path} holds no PEM certificate`
  try {
    for (const block of blocks) new X509Certificate(block)
    return undefined
  } catch (error) {
    return `${path} holds a certificate that does not parse: ${error instanceof Error ? error.message : String(error)}`
  }
}

/**
 * The `PORTAL_LDAP_*` settings of CONTRACT §6. Not the attribute mapping: the directory
 * takes that from `ConfiguredMapping`, the one the writeback's rules read too.
 */
export const config: Config.Config<Omit<Options, "mapping">> = Config.all({
  url: Config.string(declared.url.name).pipe(
    Config.validate({
      message: "must be an ldap://host[:port] or ldaps://host[:port] URL",
      validation: (url) => parseUrl(url) !== undefined
    })
  ),
  bindDn: Config.string(declared.bindDn.name),
  bindPassword: secretConfig(declared.bindPassword.name),
  baseDn: Config.string(declared.baseDn.name).pipe(Config.withDefault(defaultBaseDn)),
  startTls: Config.boolean(declared.startTls.name).pipe(
    Config.withDefault(declared.startTls.default)
  ),
  caFile: Config.option(
    Config.string(declared.caFile.name).pipe(
      Config.mapOrFail((path) => {
        const problem = caBundleProblem(path)
        return problem === undefined
          ? Either.right(path)
          : Either.left(ConfigError.InvalidData([declared.caFile.name], problem))
      })
    )
  ),
  pageSize: positiveInteger(declared.pageSize),
  connectTimeoutMs: timeout(declared.connectTimeoutMs),
  timeoutMs: timeout(declared.timeoutMs)
}).pipe(
  Config.validate({
    message: "PORTAL_LDAP_STARTTLS applies to ldap:// URLs only (ldaps:// is TLS already)",
    validation: (o) => !(o.startTls && parseUrl(o.url)?.ldaps === true)
  }),
  Config.map(({ caFile, ...rest }) => ({ ...rest, caFile: Option.getOrUndefined(caFile) }))
)

const parseUrl = (url: string) => {
  const match = /^(ldaps?):\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?\/?$/i.exec(url.trim())
  if (match === null) return undefined
  const ldaps = match[1]?.toLowerCase() === "ldaps"
  const host = (match[2] ?? "").replace(/^\[(.*)\]$/, "$1")
  const port = match[3] === undefined ? (ldaps ? 636 : 389) : Number(match[3])
  return port > 0 && port < 65536 ? { ldaps, host, port } : undefined
}

const settingsFrom = (options: Options): Effect.Effect<Settings, LdapConnectionError> =>
  Effect.gen(function* () {
    const parsed = parseUrl(options.url)
    const base = {
      url: options.url,
      host: parsed?.host ?? "",
      port: parsed?.port ?? 0,
      ldaps: parsed?.ldaps ?? false,
      startTls: options.startTls ?? false,
      ca: undefined,
      bindDn: options.bindDn,
      bindPassword: options.bindPassword,
      connectTimeoutMs: options.connectTimeoutMs ?? declared.connectTimeoutMs.default,
      timeoutMs: options.timeoutMs ?? declared.timeoutMs.default
    }
    if (parsed === undefined) {
      return yield* Effect.fail(
        failure(base, "connect", "not an ldap://host[:port] or ldaps://host[:port] URL")
      )
    }
    if (base.startTls && base.ldaps) {
      return yield* Effect.fail(
        failure(base, "tls", "StartTLS applies to ldap:// URLs only (ldaps:// is TLS already)")
      )
    }
    const caFile = options.caFile
    if (caFile === undefined) return base
    const ca = yield* Effect.tryPromise({
      try: () => readFile(caFile),
      catch: (error) => failure(base, "tls", `cannot read CA file: ${String(error)}`)
    })
    return { ...base, ca }
  })

/**
 * The directory over ldapts. Lookups share one bound connection, opened on first use and
 * reopened when it drops; each `streamAll` opens its own.
 */
export const make = (options: Options): Effect.Effect<Service, LdapConnectionError, Scope.Scope> =>
  Effect.gen(function* () {
    const settings = yield* settingsFrom(options)
    const mapping = options.mapping ?? defaultMapping
    const baseDn = options.baseDn ?? defaultBaseDn
    const pageSize = options.pageSize ?? declared.pageSize.default
    const attributes = [...requestedAttributes(mapping)]
    const decode = decodePortalUser(mapping)
    const shared = yield* makeShared(settings)

    const measuredLookup = LdapMetrics.measured("lookup")
    /** One unpaged search on the shared connection. */
    const lookup = (filter: string) =>
      shared
        .use((client) =>
          // The limit only bounds what an ambiguous key can cost; 2 would already decide.
          client.search(baseDn, { scope: "sub", filter, attributes, sizeLimit: 100 })
        )
        .pipe(
          Effect.map(({ searchEntries }) => searchEntries),
          measuredLookup,
          Effect.withSpan("PortalDirectory.search")
        )

    const findByKey = Effect.fn("PortalDirectory.findByKey")(function* (
      keyField: KeyField,
      value: string
    ) {
      yield* Effect.annotateCurrentSpan("keyField", keyField)
      // No entry has a blank key, and an empty assertion is not a valid filter.
      if (value.trim() === "") return yield* new UserNotFound({ keyField, keyValue: value })
      const entries = yield* keyField === "employee-id"
        ? withEmployeeId(value)
        : Effect.map(lookup(keyFilter(keyAttribute(mapping, keyField), value)), (found) =>
            found.map(toLdapEntry)
          )
      const [entry, ...others] = entries
      if (entry === undefined) return yield* new UserNotFound({ keyField, keyValue: value })
      if (others.length > 0) {
        return yield* new AmbiguousKey({ keyField, keyValue: value, matches: entries.length })
      }
      return decode(entry)
    })

    /**
     * The entries holding employee id `value` by numeric value. Every zero-padding is asked
     * for (LDAP ignores the spaces around a value, as the rule does); only a value the rule
     * reads as an id matches, so a malformed key matches nothing. An entry with a malformed
     * value claiming the same id is not a match: check 6a's search finds it and refuses.
     */
    const withEmployeeId = (
      value: string
    ): Effect.Effect<Array<LdapEntry>, LdapConnectionError> => {
      const id = readEmployeeId(value)
      if (Either.isLeft(id)) return Effect.succeed([])
      const key = employeeKey(id.right)
      const holdsKey = (raw: string) =>
        Either.match(readEmployeeId(raw), {
          onLeft: () => false,
          onRight: (d) => employeeKey(d) === key
        })
      return lookup(equalsAnyFilter(mapping.sapId, employeeIdSpellings(key))).pipe(
        Effect.map((found) =>
          found.map(toLdapEntry).filter((entry) => claimOf(entry).employeeIds.some(holdsKey))
        )
      )
    }

    const claimOf = (entry: LdapEntry): EmployeeIdClaim => {
      const read = (name: string) => {
        const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase())
        const value = key === undefined || key === "dn" ? undefined : entry[key]
        const values = value === undefined ? [] : typeof value === "string" ? [value] : value
        return values.filter((v) => v.trim() !== "")
      }
      return {
        dn: entry.dn,
        idautoId: read(mapping.idautoId)[0]?.trim(),
        employeeIds: read(mapping.sapId)
      }
    }

    const findByEmployeeId = (id: string) => {
      const key = employeeKey(id.trim())
      // LDAP's matching keeps a TAB or a byte-order mark that the rule reads as a claim:
      // every value holding the digits is asked for (paged: a short id matches many), then
      // the rule decides.
      const filter = holdingDigitsFilter(mapping.sapId, key, employeeIdSpellings(key))
      return pagedSearch(filter, attributes, (entry) =>
        claimOf(entry).employeeIds.some((raw) => claimedEmployeeKeys(raw).includes(key))
          ? Option.some(decode(entry))
          : Option.none()
      ).pipe(
        Stream.filterMap((user) => user),
        Stream.runCollect,
        Effect.map(Chunk.toReadonlyArray),
        Effect.withSpan("PortalDirectory.findByEmployeeId")
      )
    }

    const streamEmployeeIds = (): Stream.Stream<EmployeeIdClaim, LdapConnectionError> =>
      pagedSearch(allPeopleFilter, [mapping.idautoId, mapping.sapId], claimOf).pipe(
        Stream.withSpan("PortalDirectory.streamEmployeeIds")
      )

    const streamAll = (): Stream.Stream<PortalUser, LdapConnectionError> =>
      pagedSearch(allPeopleFilter, attributes, decode).pipe(
        Stream.withSpan("PortalDirectory.streamAll")
      )

    const pagedSearch = <A>(
      filter: string,
      attributes: ReadonlyArray<string>,
      decode: (entry: LdapEntry) => A
    ): Stream.Stream<A, LdapConnectionError> =>
      Stream.unwrapScoped(
        Effect.gen(function* () {
          const connection = yield* connect(settings)
          const pages = connection.client.searchPaginated(baseDn, {
            scope: "sub",
            filter,
            attributes: [...attributes],
            paged: { pageSize }
          })
          let pending = false
          yield* Effect.addFinalizer((exit) =>
            Effect.promise(async () => {
              // A page still on its way (interrupted pull) or a failure: close the socket so
              // the pending request fails now and the server forgets the paged search.
              if (pending || Exit.isFailure(exit)) connection.destroy()
              await pages.return(undefined).catch(() => undefined)
            })
          )
          const nextPage = Effect.suspend(() => {
            pending = true
            return operation(settings, "search", "page", settings.timeoutMs, () => pages.next())
          }).pipe(
            Effect.mapError(Option.some),
            LdapMetrics.measured("page"),
            Effect.withSpan("PortalDirectory.page"),
            Effect.tap(() => (pending = false)),
            Effect.flatMap((page) =>
              page.done
                ? Effect.fail(Option.none())
                : Effect.succeed(
                    Chunk.unsafeFromArray(
                      page.value.searchEntries.map((e) => decode(toLdapEntry(e)))
                    )
                  )
            )
          )
          return Stream.repeatEffectOption(nextPage).pipe(Stream.flattenChunks)
        })
      )

    const check = Effect.fn("PortalDirectory.check")(function* () {
      yield* Effect.scoped(connect(settings))
    })

    return PortalDirectory.of({ findByKey, streamAll, streamEmployeeIds, findByEmployeeId, check })
  })

/** The directory from plain options (tests, benchmarks). */
export const layer = (options: Options): Layer.Layer<PortalDirectory, LdapConnectionError> =>
  Layer.scoped(PortalDirectory, make(options))

/** The directory from options, matching and decoding with the process's `ConfiguredMapping`. */
export const layerMapped = (
  options: Omit<Options, "mapping">
): Layer.Layer<PortalDirectory, LdapConnectionError, ConfiguredMapping> =>
  Layer.scoped(
    PortalDirectory,
    Effect.flatMap(ConfiguredMapping, (mapping) => make({ ...options, mapping }))
  )

/** The directory from the `PORTAL_LDAP_*` configuration and the process's `ConfiguredMapping`. */
export const layerConfig: Layer.Layer<
  PortalDirectory,
  ConfigError.ConfigError | LdapConnectionError,
  ConfiguredMapping
> = Layer.unwrapEffect(Effect.map(config, layerMapped))
