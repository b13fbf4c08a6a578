/**
 * Named callers and their scopes (CONTRACT §6 `GRPC_AUTH_TOKENS`): each entry is `token`,
 * `name:token` or `name:token:scope`. The scope bounds what a caller may ask for, so a
 * workflow that only ever writes one user back cannot start a full run with a leaked token.
 */
import type { WritebackRequest } from "@dfo-writeback/domain"
import { Either, Redacted } from "effect"

/**
 * - `full`: anything (the default);
 * - `single`: single-user requests only (no `process_all`, no `Apply`);
 * - `dry-run`: `log_only` requests only (nothing is ever written for this caller).
 */
export type CallerScope = "full" | "single" | "dry-run"

export const scopes: ReadonlyArray<CallerScope> = ["full", "single", "dry-run"]

/** One accepted token: who presents it and what it allows. */
export interface CallerToken {
  /** `""` for a plain `token` entry (an anonymous caller). */
  readonly name: string
  readonly token: Redacted.Redacted<string>
  readonly scope: CallerScope
}

/** Who is calling, once the token is checked. */
export interface Caller {
  readonly name: string
  readonly scope: CallerScope
}

/** Whoever calls a server that runs without tokens (`GRPC_ALLOW_UNAUTHENTICATED=true`). */
export const anonymous: Caller = { name: "", scope: "full" }

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/

const isScope = (text: string): text is CallerScope =>
  (scopes as ReadonlyArray<string>).includes(text)

/** Shorter tokens can be guessed, or are a name or a scope read as a token by mistake. */
export const minTokenLength = 16

// What a client can send after `authorization: Bearer `: visible ASCII, no space.
const sendable = /^[\x21-\x7e]+$/

/**
 * Words that mark a value nobody replaced (compared without case, digits or punctuation):
 * `Replace-Me-0000000000` is still a placeholder.
 */
const placeholderWords: ReadonlySet<string> = new Set([
  "changeme",
  "replaceme",
  "secret",
  "secrettoken",
  "password",
  "passwd",
  "token",
  "mytoken",
  "yourtoken",
  "bearertoken",
  "authtoken",
  "apitoken",
  "example",
  "sample",
  "placeholder",
  "dummy",
  "default",
  "test",
  "testtoken",
  "todo",
  "fixme",
  "tbd"
])
// Long enough that a random token holding one by chance is out of reach.
const placeholderParts = ["changeme", "replaceme", "placeholder", "yourtoken", "yoursecret"]

/** Whether `token` is a placeholder left in a template rather than a chosen secret. */
export const isPlaceholder = (token: string): boolean => {
  const lower = token.toLowerCase()
  const letters = lower.replace(/[^a-z]/g, "")
  const alphanumeric = lower.replace(/[^a-z0-9]/g, "")
  return (
    placeholderWords.has(letters) ||
    placeholderParts.some((part) => letters.includes(part)) ||
    // `xxxxxxxxxxxxxxxx`, `0000-0000-0000-0000`: one character repeated.
    new Set(alphanumeric).size <= 1 ||
    // An unexpanded template: `<token>`, `${TOKEN}`, `{{ token }}`.
    /^(<.*>|\$\{.*\}|\{\{.*\}\})$/.test(token)
  )
}

/** Why `token` cannot be accepted, or `undefined`. Never quotes the token. */
const tokenProblem = (token: string): string | undefined => {
  if (token === "") return "the token is empty"
  if (!sendable.test(token)) {
    return "the token holds a character a client cannot send in an authorization header (only visible ASCII, no spaces)"
  }
  if (isScope(token)) {
    return `the token is a scope word; an entry is token, name:token or name:token:scope`
  }
  if (token.length < minTokenLength) {
    return `the token is shorter than ${minTokenLength} characters`
  }
  if (isPlaceholder(token)) return "the token is a placeholder, not a secret"
  return undefined
}

/**
 * Parses the setting. Every problem is reported by entry position, never by content: an
 * entry that does not parse may hold its secret in any part (`<secret>:full` read as
 * name:token). An entry that is not exactly understood is an error, never a token with a
 * wider scope than meant: `name:token:fulll` refuses to start.
 */
export const parse = (
  value: string
): Either.Either<ReadonlyArray<CallerToken>, ReadonlyArray<string>> => {
  const problems: Array<string> = []
  const tokens: Array<CallerToken> = []
  const tokenAt = new Map<string, number>()
  const nameAt = new Map<string, number>()
  const entries = value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
  entries.forEach((entry, index) => {
    const where = `entry ${index + 1} of GRPC_AUTH_TOKENS`
    const parts = entry.split(":")
    if (parts.length > 3) {
      problems.push(`${where} has more than three ':'-separated parts (name:token:scope)`)
      return
    }
    const [first = "", second, third] = parts
    const name = parts.length === 1 ? "" : first
    const token = parts.length === 1 ? first : (second ?? "")
    const scope = third ?? "full"
    const before = problems.length
    if (parts.length > 1 && !namePattern.test(name)) {
      problems.push(
        `${where}: the caller name must be 1–64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`
      )
    } else if (name !== "") {
      // One name twice (with two scopes, say) would make the call log ambiguous.
      const earlier = nameAt.get(name.toLowerCase())
      if (earlier !== undefined)
        problems.push(`${where} repeats the caller name of entry ${earlier}`)
      else nameAt.set(name.toLowerCase(), index + 1)
    }
    const problem = tokenProblem(token)
    if (problem !== undefined) problems.push(`${where}: ${problem}`)
    else if (tokenAt.has(token)) {
      // Two entries with one token would leave its name and scope to the order of the list.
      problems.push(`${where} repeats the token of entry ${tokenAt.get(token)}`)
    } else tokenAt.set(token, index + 1)
    if (!isScope(scope)) problems.push(`${where}: the scope must be one of ${scopes.join(", ")}`)
    else if (problems.length === before) tokens.push({ name, token: Redacted.make(token), scope })
  })
  return problems.length > 0 ? Either.left(problems) : Either.right(tokens)
}

/** Whether `scope` allows `request`; when not, what the caller may ask for instead. */
export const permits = (
  scope: CallerScope,
  request: WritebackRequest
): Either.Either<void, string> => {
  switch (scope) {
    case "full":
      return Either.void
    case "single":
      return request._tag === "SingleUser"
        ? Either.void
        : Either.left("this token's scope is single: one user by key, never process_all")
    case "dry-run":
      return request.logOnly
        ? Either.void
        : Either.left("this token's scope is dry-run: only log_only requests")
  }
}

/** Whether `scope` allows `Apply` (which writes a plan): only `full` does. */
export const permitsApply = (scope: CallerScope): Either.Either<void, string> =>
  scope === "full" ? Either.void : Either.left(`this token's scope is ${scope}: Apply needs full`)
