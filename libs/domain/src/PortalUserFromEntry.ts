import { Either, ParseResult, Schema } from "effect"
import { type AttributeMapping, requestedAttributes } from "./AttributeMapping.js"
import { withoutSpaces } from "./EmployeeIdRule.js"
import type { LdapEntry } from "./LdapEntry.js"
import { type MultiValued, PortalUser } from "./PortalUser.js"

/**
 * A directory entry as an LDAP client hands it out, not yet checked: its DN and, per
 * attribute, a value or a list of values, each text or the bytes the client could not
 * read as UTF-8 (ldapts gives a `Buffer` then).
 */
export interface DirectoryEntry {
  readonly dn: unknown
  readonly [attribute: string]: unknown
}

type Field = MultiValued["field"]
type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const utf8 = new TextDecoder()
const text = (value: string | Uint8Array): string =>
  typeof value === "string" ? value : utf8.decode(value)
const isValue = (value: unknown): value is string | Uint8Array =>
  typeof value === "string" || value instanceof Uint8Array
const isValues = (value: unknown): boolean =>
  isValue(value) || (Array.isArray(value) && value.every(isValue))

/** The values held, in order, whether the client gave one value or a list. */
const valuesIn = (held: unknown): ReadonlyArray<string | Uint8Array> =>
  held === undefined ? none : isValue(held) ? [held] : (held as ReadonlyArray<string | Uint8Array>)

const none: ReadonlyArray<never> = Object.freeze([])
const isTrue = (held: unknown) =>
  valuesIn(held).some((v) => text(v).trim().toUpperCase() === "TRUE")

/** Every non-blank value of `held`, trimmed, appended to `into`. */
const pushTrimmed = (held: unknown, into: Array<string>) => {
  for (const value of valuesIn(held)) {
    const trimmed = text(value).trim()
    if (trimmed !== "") into.push(trimmed)
  }
}

/**
 * Reads entries through one mapping in a single pass over each entry's attributes: every
 * value the rules read is checked (text or bytes) and read once, nothing else is copied.
 * The attribute names an entry spells are resolved once (LDAP names are case-insensitive).
 */
const makeReader = (mapping: AttributeMapping) => {
  const names = requestedAttributes(mapping)
  const slotByLowerName = new Map(names.map((name, slot) => [name.toLowerCase(), slot]))
  const slotOf = (name: string) => slotByLowerName.get(name.toLowerCase()) ?? -1
  // A server spells each attribute one way; bounded so that an odd one cannot grow it.
  const spelled = new Map<string, number>()
  const slotOfSpelling = (name: string) => {
    let slot = spelled.get(name)
    if (slot === undefined) {
      slot = slotOf(name)
      if (spelled.size < 256) spelled.set(name, slot)
    }
    return slot
  }
  const slots = {
    idautoId: slotOf(mapping.idautoId),
    sapId: slotOf(mapping.sapId),
    eksternIdent: mapping.eksternIdent.map(slotOf),
    epost: mapping.epost.map(slotOf),
    brukerident: mapping.brukerident.map(slotOf),
    username: slotOf(mapping.username),
    uhUsername: slotOf(mapping.uhUsername),
    disabled: slotOf(mapping.disabled),
    deleted: slotOf(mapping.deleted),
    entitlements: mapping.entitlements.map(slotOf),
    businessRoles: slotOf(mapping.businessRoles)
  }
  // Reused by every read: reading is synchronous, so no two reads share it at once.
  const held: Array<unknown> = new Array(names.length).fill(undefined)

  /** The first non-blank value of `slot`, trimmed (the employee id only of spaces). */
  const single = (slot: number, clean: (value: string) => string = (v) => v.trim()) => {
    for (const value of valuesIn(held[slot])) {
      const read = text(value)
      if (read.trim() !== "") return clean(read)
    }
    return undefined
  }

  /** How many distinct values (after `clean`) the non-blank values of `slot` are. */
  const distinct = (slot: number, clean: (value: string) => string) => {
    const seen = new Set<string>()
    for (const value of valuesIn(held[slot])) {
      const read = text(value)
      if (read.trim() !== "") seen.add(clean(read))
    }
    return seen.size
  }

  /**
   * Of a field's sources, the first with a non-blank value supplies it; when that
   * attribute holds several distinct values the field is listed in `multiValued`.
   */
  const first = (
    field: Field,
    sources: ReadonlyArray<number>,
    attributes: ReadonlyArray<string>,
    multiValued: Array<MultiValued>,
    clean: (value: string) => string = (v) => v.trim()
  ) => {
    for (let i = 0; i < sources.length; i++) {
      const slot = sources[i] ?? -1
      const value = single(slot, clean)
      if (value === undefined) continue
      if (Array.isArray(held[slot]) && (held[slot] as ReadonlyArray<unknown>).length > 1) {
        const count = distinct(slot, clean)
        if (count > 1) multiValued.push({ field, attribute: attributes[i] ?? "", count })
      }
      return value
    }
    return undefined
  }

  const build = (dn: string): PortalUser => {
    const multiValued: Array<MultiValued> = []
    // Only spaces stripped from the employee id: its rule decides about a TAB, CR or BOM.
    const sapId = first("sapId", [slots.sapId], [mapping.sapId], multiValued, withoutSpaces)
    const eksternIdent = first(
      "eksternIdent",
      slots.eksternIdent,
      mapping.eksternIdent,
      multiValued
    )
    const epost = first("epost", slots.epost, mapping.epost, multiValued)
    const brukerident = first("brukerident", slots.brukerident, mapping.brukerident, multiValued)
    const entitlements: Array<string> = []
    for (const slot of slots.entitlements) pushTrimmed(held[slot], entitlements)
    const businessRoles: Array<string> = []
    pushTrimmed(held[slots.businessRoles], businessRoles)
    // The instance made directly, as the class's constructor (validation off) would make
    // it: the constructor's two copies and default merge cost 0.6 s of CPU per 50 000 entries.
    const user = Object.create(PortalUser.prototype) as Mutable<PortalUser>
    user.dn = dn
    const idautoId = single(slots.idautoId)
    if (idautoId !== undefined) user.idautoId = idautoId
    if (sapId !== undefined) user.sapId = sapId
    if (eksternIdent !== undefined) user.eksternIdent = eksternIdent
    if (epost !== undefined) user.epost = epost
    if (brukerident !== undefined) user.brukerident = brukerident
    const username = single(slots.username)
    if (username !== undefined) user.username = username
    const uhUsername = single(slots.uhUsername)
    if (uhUsername !== undefined) user.uhUsername = uhUsername
    user.disabled = isTrue(held[slots.disabled])
    user.deleted = isTrue(held[slots.deleted])
    user.entitlements = entitlements
    user.businessRoles = businessRoles
    user.multiValued = multiValued
    return user
  }

  /** The user an entry holds, or the attribute that holds something other than text. */
  return (entry: DirectoryEntry): Either.Either<PortalUser, string> => {
    if (typeof entry.dn !== "string") return Either.left("dn")
    try {
      for (const name in entry) {
        if (name === "dn") continue
        const slot = slotOfSpelling(name)
        if (slot < 0) continue
        const value = entry[name]
        if (!isValues(value)) return Either.left(name)
        held[slot] = value
      }
      return Either.right(build(entry.dn))
    } finally {
      held.fill(undefined)
    }
  }
}

/**
 * A `PortalUser` from a directory entry of unknown shape, checked at this boundary: the
 * DN and every value the rules read must be text (or bytes, read as UTF-8). Values are
 * read through the attribute mapping, names case-insensitively; text is trimmed (the
 * employee id only of spaces: `readEmployeeId` is its rule); an absent or blank attribute
 * is left out; a value taken from an attribute with several distinct values is its first
 * and is listed in `multiValued`, so the rules can refuse to write it.
 */
export const PortalUserFromEntry = (mapping: AttributeMapping) => {
  const read = makeReader(mapping)
  return Schema.transformOrFail(Schema.Unknown, Schema.typeSchema(PortalUser), {
    strict: true,
    decode: (input, _, ast) => {
      if (typeof input !== "object" || input === null) {
        return ParseResult.fail(new ParseResult.Type(ast, input, "an entry is an object"))
      }
      return Either.mapLeft(
        read(input as DirectoryEntry),
        (attribute) =>
          new ParseResult.Type(
            ast,
            input,
            attribute === "dn"
              ? "an entry's dn must be text"
              : `attribute ${attribute} must hold text values`
          )
      )
    },
    encode: (user, _, ast) =>
      ParseResult.fail(
        new ParseResult.Forbidden(ast, user, "a PortalUser is never written to LDAP")
      )
  })
}

/** Reads an entry whose values are text already (tests, tools): it cannot fail. */
export const decodePortalUser = (mapping: AttributeMapping): ((entry: LdapEntry) => PortalUser) =>
  Schema.decodeSync(PortalUserFromEntry(mapping))
