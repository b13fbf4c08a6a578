import {
  type AttributeMapping,
  claimedEmployeeKeys,
  employeeIdSpellings,
  employeeKey,
  type LdapConnectionError,
  type PortalUser
} from "@dfo-writeback/domain"
import { Effect, Either } from "effect"
import type { Client, Entry, SearchResult } from "ldapts"
import * as LdapMetrics from "../LdapMetrics.js"
import type { Decoder } from "./decode.js"
import { valuesOf } from "./entry.js"
import { holdingDigitsFilter } from "./filter.js"
import type { Paging } from "./pagedSearch.js"
import type { Shared } from "./shared.js"

/**
 * Ids asked for in one search: an incremental run's few hundred changed entries take a
 * few searches, each filter a few kilobytes.
 */
const idsPerSearch = 50

const pageSettled = LdapMetrics.recorder("page")

export type ClaimSearch = (
  ids: ReadonlyArray<string>
) => Effect.Effect<ReadonlyMap<string, ReadonlyArray<PortalUser>>, LdapConnectionError>

/**
 * The entries claiming each of `ids`, by its key (`employeeKey`): check 6a's search, as
 * broad as a full run's claim pass. Paged, since a short id's digits match many entries,
 * but on the shared connection, one such search at a time (slapd keeps one paged search
 * per connection: a second would void the first's cookie), a page at a time, each with its
 * own time limit. A connection that drops mid-way is replaced and the search starts over
 * on it. Several ids are asked for in one search, each entry kept for every one it claims.
 */
export const make = (
  shared: Shared,
  paging: Paging,
  attributes: ReadonlyArray<string>,
  mapping: AttributeMapping,
  decoder: Decoder
): Effect.Effect<ClaimSearch> =>
  Effect.map(Effect.makeSemaphore(1), (pagedLock) => {
    /** One paged search for `keys`' claimants, added to `found` by the keys they claim. */
    const claimsOf = (keys: ReadonlyArray<string>, found: Map<string, Array<PortalUser>>) => {
      // LDAP's matching keeps a TAB or a byte-order mark that the rule reads as a claim:
      // every value holding the digits is asked for, then the rule decides.
      const filter = holdingDigitsFilter(
        mapping.sapId,
        keys.map((key) => ({ digits: key, spellings: employeeIdSpellings(key) }))
      )
      const asked = new Set(keys)
      const claimed = (entry: Entry) =>
        valuesOf(entry, mapping.sapId).flatMap((raw) =>
          claimedEmployeeKeys(raw).filter((key) => asked.has(key))
        )
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
      return pagedLock
        .withPermits(1)(rest)
        .pipe(
          Effect.flatMap((held) =>
            Either.map(decoder.decodeAll(held), (users) =>
              users.forEach((user, i) => {
                const entry = held[i] as Entry
                for (const key of new Set(claimed(entry))) found.get(key)?.push(user)
              })
            )
          )
        )
    }

    return (ids) =>
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
      }).pipe(Effect.withSpan("PortalDirectory.findByEmployeeIds"))
  })
