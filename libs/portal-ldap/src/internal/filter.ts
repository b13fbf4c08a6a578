/**
 * RFC 4515 escaping of an assertion value: the five characters that carry meaning in a
 * filter string become `\XX`. Everything else, UTF-8 included, is allowed as is (ldapts
 * decodes each `\XX` to one character, so multi-byte characters must not be hex-escaped).
 */
export const escapeFilterValue = (value: string): string =>
  value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0")}`)

/** `(&(objectClass=idautoPerson)(attribute=value))` with the value escaped. */
export const keyFilter = (attribute: string, value: string): string =>
  `(&(objectClass=idautoPerson)(${attribute}=${escapeFilterValue(value)}))`

export const allPeopleFilter = "(objectClass=idautoPerson)"

/**
 * Every person modified at or after `since`: `modifyTimestamp` is operational, set by the
 * server on every change and never returned unless asked for, but a filter may test it
 * (GeneralizedTime in UTC, whole seconds, ordered by generalizedTimeOrderingMatch).
 */
export const changedSinceFilter = (since: Date): string => {
  const stamp = since.toISOString().replace(/[-:T]/g, "").slice(0, 14)
  return `(&${allPeopleFilter}(modifyTimestamp>=${stamp}Z))`
}

/** `(&(objectClass=idautoPerson)(|(attribute=a)…))` over assertions already escaped. */
const anyOf = (attribute: string, assertions: ReadonlyArray<string>): string =>
  `(&(objectClass=idautoPerson)(|${assertions
    .map((assertion) => `(${attribute}=${assertion})`)
    .join("")}))`

/** Entries whose `attribute` equals one of `values`, each escaped. */
export const equalsAnyFilter = (attribute: string, values: ReadonlyArray<string>): string =>
  anyOf(attribute, values.map(escapeFilterValue))

/**
 * Entries whose `attribute` holds one of the `digits` anywhere (`*digits*`), or equals
 * one of its `spellings`: the equality terms still answer on a directory whose attribute
 * has no substring matching rule.
 */
export const holdingDigitsFilter = (
  attribute: string,
  digits: ReadonlyArray<{ readonly digits: string; readonly spellings: ReadonlyArray<string> }>
): string =>
  anyOf(
    attribute,
    digits.flatMap(({ digits, spellings }) => [
      ...spellings.map(escapeFilterValue),
      `*${escapeFilterValue(digits)}*`
    ])
  )
