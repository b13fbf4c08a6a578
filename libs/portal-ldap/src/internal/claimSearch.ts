import {
  type AttributeMapping,
  claimedEmployeeKeys,
  employeeIdSpellings,
  employeeKey,
  type LdapConnectionError,
  type PortalUser
} from "@dfo-writeback/domain"
import { Effect, Either } from "effect"
import { type Client, type Entry, type SearchResult, SizeLimitExceededError } from "ldapts"
import * as LdapMetrics from "../LdapMetrics.js"
import type { Decoder } from "./decode.js"
import { valuesOf } from "./entry.js"
import { holdingDigitsFilter } from "./filter.js"
import type { Paging } from "./pagedSearch.js"
import type { Shared } from "./shared.js"
import { hotSpan } from "./spans.js"

/**
 * Ids asked for in one search: an incremental run's few hundred changed entries take a
 * few searches, each filter a few kilobytes.
 */
const idsPerSearch = 50

/**
 * A key this short is held, as digits, by a large share of the directory's ids (`*5*`
 * by most of them): its claim search pages from the start rather than ask for every
 * match in one answer.
 */
const shortKeyDigits = 4

const pageSettled = LdapMetrics.recorder("page")

export interface ClaimSearch {
  /** The entries claiming each of `ids`, by its key (`employeeKey`). */
  readonly forIds: (
    ids: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyMap<string, ReadonlyArray<PortalUser>>, LdapConnectionError>
  /** The entries claiming `id`: a single-user run's search, as broad as `forIds`. */
  readonly forId: (id: string) => Effect.Effect<ReadonlyArray<PortalUser>, LdapConnectionError>
}

/** What one search asks for: its filter, and the asked keys an entry claims. */
interface Question {
  readonly filter: string
  readonly claimed: (entry: Entry) => ReadonlyArray<string>
}

/**
 * Check 6a's search, as broad as a full run's claim pass. LDAP's matching keeps a TAB or a
 * byte-order mark that the rule reads as a claim: every value holding the digits is asked
 * for, then the rule decides which asked keys each entry claims.
 */
const question = (mapping: AttributeMapping, keys: ReadonlyArray<string>): Question => {
  const asked = new Set(keys)
  return {
    filter: holdingDigitsFilter(
      mapping.sapId,
      keys.map((key) => ({ digits: key, spellings: employeeIdSpellings(key) }))
    ),
    claimed: (entry) =>
      valuesOf(entry, mapping.sapId).flatMap((raw) =>
        claimedEmployeeKeys(raw).filter((key) => asked.has(key))
      )
  }
}

/**
 * The entries claiming each of `ids`, by its key (`employeeKey`). Paged, since a short
 * id's digits match many entries, but on the shared connection, one such search at a time
 * (slapd keeps one paged search per connection: a second would void the first's cookie),
 * a page at a time, each with its own time limit. A connection that drops mid-way is
 * replaced and the search starts over on it. Several ids are asked for in one search, each
 * entry kept for every one it claims. One id alone is first asked for without paging (see
 * `forId`).
 */
export const make = (
  shared: Shared,
  paging: Paging,
  attributes: ReadonlyArray<string>,
  mapping: AttributeMapping,
  decoder: Decoder
): Effect.Effect<ClaimSearch> =>
  Effect.map(Effect.makeSemaphore(1), (pagedLock) => {
    /** The entries claiming one of the question's keys, page by page. */
    const paged = ({ filter, claimed }: Question) => {
      const entries: Array<Entry> = []
      let owner: Client | undefined
      let pages: AsyncGenerator<SearchResult> | undefined
      const page = (client: Client) => {
        if (pages === undefined || client !== owner) {
          owner = client
          entries.length = 0
          pages = client.searchPaginated(paging.baseDn, {
            scope: "sub",
            filter,
            attributes: [...attributes],
            paged: { pageSize: paging.pageSize }
          })
        }
        return pages.next()
      }
      const rest: Effect.Effect<ReadonlyArray<Entry>, LdapConnectionError> = Effect.flatMap(
        shared.use(page, pageSettled),
        (next) => {
          if (next.done) return Effect.succeed(entries)
          for (const entry of next.value.searchEntries) {
            if (claimed(entry).length > 0) entries.push(entry)
          }
          return rest
        }
      )
      return pagedLock.withPermits(1)(rest)
    }

    /** `keys`' claimants, added to `found` by the keys they claim. */
    const claimsOf = (keys: ReadonlyArray<string>, found: Map<string, Array<PortalUser>>) => {
      const asked = question(mapping, keys)
      return Effect.flatMap(paged(asked), (held) =>
        Either.map(decoder.decodeAll(held), (users) =>
          users.forEach((user, i) => {
            const entry = held[i] as Entry
            for (const key of new Set(asked.claimed(entry))) found.get(key)?.push(user)
          })
        )
      )
    }

    const forIds = (ids: ReadonlyArray<string>) =>
      Effect.suspend(() => {
        const keys = [...new Set(ids.map((id) => employeeKey(id.trim())))]
        const found = new Map(keys.map((key) => [key, [] as Array<PortalUser>]))
        const chunks = Array.from({ length: Math.ceil(keys.length / idsPerSearch) }, (_, i) =>
          keys.slice(i * idsPerSearch, (i + 1) * idsPerSearch)
        )
        return Effect.as(
          Effect.forEach(chunks, (chunk) => claimsOf(chunk, found), { discard: true }),
          found as ReadonlyMap<string, ReadonlyArray<PortalUser>>
        )
      }).pipe(Effect.withSpan("PortalDirectory.findByEmployeeIds", hotSpan))

    /**
     * One id's claimants in one unpaged search, which leaves a paged search on the shared
     * connection alone and takes no lock. No client size limit: ldapts hides a size limit
     * it was given when the server applies it, answering the entries so far as if they were
     * all. The server's own limit fails the search instead (SizeLimitExceededError), and
     * the claim search pages then, so a claimant is never dropped.
     */
    const unpaged = ({ filter }: Question) =>
      shared.use(
        (client) =>
          client.search(paging.baseDn, { scope: "sub", filter, attributes: [...attributes] }).then(
            ({ searchEntries }): ReadonlyArray<Entry> | undefined => searchEntries,
            (error: unknown) =>
              error instanceof SizeLimitExceededError ? undefined : Promise.reject(error)
          ),
        pageSettled
      )

    // A leaf span (`useSpan`, see spans.ts); only the rare paged fallback, whose pages have
    // spans of their own, makes it their parent.
    const forId = (id: string) =>
      Effect.useSpan("PortalDirectory.findByEmployeeId", hotSpan, (span) => {
        const key = employeeKey(id.trim())
        const asked = question(mapping, [key])
        const pagedUnder = () => Effect.withParentSpan(paged(asked), span)
        const found =
          key.length < shortKeyDigits
            ? pagedUnder()
            : Effect.flatMap(unpaged(asked), (entries) =>
                entries === undefined
                  ? pagedUnder()
                  : Effect.succeed(entries.filter((entry) => asked.claimed(entry).length > 0))
              )
        return Effect.flatMap(found, decoder.decodeAll)
      })

    return { forIds, forId }
  })
