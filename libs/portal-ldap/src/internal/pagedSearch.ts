import type { LdapConnectionError } from "@dfo-writeback/domain"
import { Chunk, Effect, Either, Exit, Option, Stream } from "effect"
import type { Entry } from "ldapts"
import * as LdapMetrics from "../LdapMetrics.js"
import { connect, operation, type Settings } from "./connection.js"

/** Where and how a stream pages: the subtree, the page size. */
export interface Paging {
  readonly baseDn: string
  readonly pageSize: number
}

const pageSettled = LdapMetrics.recorder("page")

/**
 * A paged search as a stream, over a connection of its own: each page read when the
 * stream pulls (none ahead), with its own time limit, and turned into values by
 * `readPage`, whose refusal fails the stream. Closed early or failed, the connection is
 * destroyed so the server forgets the search.
 */
export const pagedSearch = <A>(
  settings: Settings,
  paging: Paging,
  filter: string,
  attributes: ReadonlyArray<string>,
  readPage: (entries: ReadonlyArray<Entry>) => Either.Either<Array<A>, LdapConnectionError>
): Stream.Stream<A, LdapConnectionError> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const connection = yield* connect(settings)
      const pages = connection.client.searchPaginated(paging.baseDn, {
        scope: "sub",
        filter,
        attributes: [...attributes],
        paged: { pageSize: paging.pageSize }
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
        return operation(settings, "search", "page", settings.timeoutMs, () => pages.next(), {
          settled: pageSettled
        })
      }).pipe(
        Effect.withSpan("PortalDirectory.page"),
        Effect.mapError(Option.some),
        Effect.flatMap((page) => {
          pending = false
          if (page.done) return Effect.fail(Option.none())
          const read = readPage(page.value.searchEntries)
          return Either.isRight(read)
            ? Effect.succeed(Chunk.unsafeFromArray(read.right))
            : Effect.fail(Option.some(read.left))
        })
      )
      return Stream.repeatEffectOption(nextPage).pipe(Stream.flattenChunks)
    })
  )
