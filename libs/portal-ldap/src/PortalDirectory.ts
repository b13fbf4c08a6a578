import {
  AmbiguousKey,
  type AttributeMapping,
  ConfiguredMapping,
  defaultMapping,
  employeeIdSpellings,
  employeeKey,
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
  Config,
  ConfigError,
  Context,
  Effect,
  Either,
  Layer,
  Option,
  type Redacted,
  type Scope,
  Stream,
  type Tracer
} from "effect"
import type { Entry } from "ldapts"
import * as ClaimSearch from "./internal/claimSearch.js"
import { connect } from "./internal/connection.js"
import { makeDecoder } from "./internal/decode.js"
import { pagedSearch } from "./internal/pagedSearch.js"
import { valuesOf } from "./internal/entry.js"
import {
  allPeopleFilter,
  changedSinceFilter,
  equalsAnyFilter,
  keyFilter
} from "./internal/filter.js"
import {
  caBundleProblem,
  parseUrl,
  positiveInteger,
  settingsFrom,
  timeout
} from "./internal/settings.js"
import { makeShared } from "./internal/shared.js"
import { hotSpan } from "./internal/spans.js"
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
   * With `changedSince`, only the entries whose `modifyTimestamp` (set by the server) is at
   * or after it: an incremental run (CONTRACT §8).
   */
  readonly streamAll: (changedSince?: Date) => Stream.Stream<PortalUser, LdapConnectionError>
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
  /**
   * `findByEmployeeId` for several ids with few searches (an incremental run's changed
   * entries): the entries claiming each id, by its key (`employeeKey`).
   */
  readonly findByEmployeeIds: (
    ids: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyMap<string, ReadonlyArray<PortalUser>>, LdapConnectionError>
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

/**
 * The directory over ldapts. Lookups and the employee id search share one bound connection,
 * opened on first use and reopened when it drops; each stream opens its own.
 */
export const make = (options: Options): Effect.Effect<Service, LdapConnectionError, Scope.Scope> =>
  Effect.gen(function* () {
    const settings = yield* settingsFrom(options)
    const mapping = options.mapping ?? defaultMapping
    const baseDn = options.baseDn ?? defaultBaseDn
    const pageSize = options.pageSize ?? declared.pageSize.default
    const attributes = [...requestedAttributes(mapping)]
    const decoder = makeDecoder(settings, mapping)
    const { decode, decodeAll } = decoder
    const shared = yield* makeShared(settings)

    const lookupSettled = LdapMetrics.recorder("lookup")
    /**
     * One unpaged search on the shared connection: one timer, one span (a leaf under
     * `parent`, see spans.ts), the histogram.
     */
    const lookup = (filter: string, parent: Tracer.AnySpan) =>
      Effect.useSpan("PortalDirectory.search", { ...hotSpan, parent }, () =>
        Effect.map(
          shared.use(
            (client) =>
              // The limit only bounds what an ambiguous key can cost; 2 would already decide.
              client.search(baseDn, { scope: "sub", filter, attributes, sizeLimit: 100 }),
            lookupSettled
          ),
          ({ searchEntries }) => searchEntries
        )
      )

    /** One entry, or why not: no entry, or several. */
    const theOne = (
      keyField: KeyField,
      value: string,
      entries: ReadonlyArray<Entry>
    ): Effect.Effect<PortalUser, UserNotFound | AmbiguousKey | LdapConnectionError> => {
      const [entry, ...others] = entries
      if (entry === undefined) return Effect.fail(new UserNotFound({ keyField, keyValue: value }))
      if (others.length > 0) {
        return Effect.fail(new AmbiguousKey({ keyField, keyValue: value, matches: entries.length }))
      }
      return decode(entry)
    }

    // Not `Effect.fn`, which captures a stack trace per call; its search names it as parent.
    const findByKey = (keyField: KeyField, value: string) =>
      Effect.useSpan(
        "PortalDirectory.findByKey",
        { ...hotSpan, attributes: { keyField } },
        (span) =>
          // No entry has a blank key, and an empty assertion is not a valid filter.
          value.trim() === ""
            ? theOne(keyField, value, [])
            : Effect.flatMap(
                keyField === "employee-id"
                  ? withEmployeeId(value, span)
                  : lookup(keyFilter(keyAttribute(mapping, keyField), value), span),
                (entries) => theOne(keyField, value, entries)
              )
      )

    /**
     * The entries holding employee id `value` by numeric value. Every zero-padding is asked
     * for (LDAP ignores the spaces around a value, as the rule does); only a value the rule
     * reads as an id matches, so a malformed key matches nothing. An entry with a malformed
     * value claiming the same id is not a match: check 6a's search finds it and refuses.
     */
    const withEmployeeId = (
      value: string,
      parent: Tracer.AnySpan
    ): Effect.Effect<ReadonlyArray<Entry>, LdapConnectionError> => {
      const id = readEmployeeId(value)
      if (Either.isLeft(id)) return Effect.succeed([])
      const key = employeeKey(id.right)
      const holdsKey = (raw: string) =>
        Either.match(readEmployeeId(raw), {
          onLeft: () => false,
          onRight: (d) => employeeKey(d) === key
        })
      return lookup(equalsAnyFilter(mapping.sapId, employeeIdSpellings(key)), parent).pipe(
        Effect.map((found) => found.filter((entry) => employeeIdsOf(entry).some(holdsKey)))
      )
    }

    const employeeIdsOf = (entry: Entry) => valuesOf(entry, mapping.sapId)
    const claimOf = (entry: Entry): EmployeeIdClaim => ({
      dn: entry.dn,
      idautoId: valuesOf(entry, mapping.idautoId)[0]?.trim(),
      employeeIds: employeeIdsOf(entry)
    })

    const paging = { baseDn, pageSize }
    const claims = yield* ClaimSearch.make(shared, paging, attributes, mapping, decoder)

    const streamEmployeeIds = (): Stream.Stream<EmployeeIdClaim, LdapConnectionError> =>
      pagedSearch(settings, paging, allPeopleFilter, [mapping.idautoId, mapping.sapId], (entries) =>
        Either.right(entries.map(claimOf))
      ).pipe(Stream.withSpan("PortalDirectory.streamEmployeeIds"))

    const streamAll = (changedSince?: Date): Stream.Stream<PortalUser, LdapConnectionError> =>
      pagedSearch(
        settings,
        paging,
        changedSince === undefined ? allPeopleFilter : changedSinceFilter(changedSince),
        attributes,
        decodeAll
      ).pipe(Stream.withSpan("PortalDirectory.streamAll"))

    const check = Effect.fn("PortalDirectory.check")(function* () {
      yield* Effect.scoped(connect(settings))
    })

    return PortalDirectory.of({
      findByKey,
      streamAll,
      streamEmployeeIds,
      findByEmployeeId: claims.forId,
      findByEmployeeIds: claims.forIds,
      check
    })
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
