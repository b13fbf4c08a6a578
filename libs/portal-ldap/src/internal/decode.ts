import {
  type AttributeMapping,
  type LdapConnectionError,
  type PortalUser,
  PortalUserFromEntry
} from "@dfo-writeback/domain"
import { Either, ParseResult } from "effect"
import type { Entry } from "ldapts"
import { failure, type Settings } from "./connection.js"

export interface Decoder {
  /** An entry as a `PortalUser`; one the rules cannot read fails the search. */
  readonly decode: (entry: Entry) => Either.Either<PortalUser, LdapConnectionError>
  /** A page's entries, or the first the rules cannot read. */
  readonly decodeAll: (
    entries: ReadonlyArray<Entry>
  ) => Either.Either<Array<PortalUser>, LdapConnectionError>
}

/** Entries read through `mapping`'s schema; a malformed one is named by its DN and why. */
export const makeDecoder = (settings: Settings, mapping: AttributeMapping): Decoder => {
  const decodeEntry = ParseResult.decodeUnknownEither(PortalUserFromEntry(mapping))
  const decode = (entry: Entry): Either.Either<PortalUser, LdapConnectionError> =>
    Either.mapLeft(decodeEntry(entry), (error) =>
      failure(
        settings,
        "search",
        `entry ${entry.dn} is malformed: ${ParseResult.ArrayFormatter.formatIssueSync(error)
          .map((issue) => issue.message)
          .join("; ")}`
      )
    )
  const decodeAll = (
    entries: ReadonlyArray<Entry>
  ): Either.Either<Array<PortalUser>, LdapConnectionError> => {
    const users: Array<PortalUser> = []
    for (const entry of entries) {
      const user = decode(entry)
      if (Either.isLeft(user)) return Either.left(user.left)
      users.push(user.right)
    }
    return Either.right(users)
  }
  return { decode, decodeAll }
}
