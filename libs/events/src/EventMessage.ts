/**
 * What a message from the broker asks for (CONTRACT §8): a single-user run per person it
 * names, nothing (with the reason), or the dead-letter queue (with the reason). Pure: every
 * byte from the broker is decoded here, with a Schema, before anything acts on it.
 */
import { type KeyField, maxKeyValueLength, readEmployeeId } from "@dfo-writeback/domain"
import { Either, ParseResult, Schema } from "effect"

/** Where an event came from: Felles IAM's SCIM events, or DFØ's notifications. */
export type EventSource = "scim" | "dfo"

/** One person to run for, and when the change happened (for the lag metric). */
export interface Trigger {
  readonly source: EventSource
  readonly keyField: KeyField
  readonly keyValue: string
  /** The event's own time when it carries one, else its arrival. */
  readonly eventTime: Date
}

export type Reading =
  | { readonly _tag: "Run"; readonly triggers: ReadonlyArray<Trigger> }
  | { readonly _tag: "Ignore"; readonly reason: string }
  | { readonly _tag: "DeadLetter"; readonly reason: string }

const run = (triggers: ReadonlyArray<Trigger>): Reading => ({ _tag: "Run", triggers })
const ignore = (reason: string): Reading => ({ _tag: "Ignore", reason })
const deadLetter = (reason: string): Reading => ({ _tag: "DeadLetter", reason })

/** The largest body read; an event is a few hundred bytes. */
export const maxBodyBytes = 64 * 1024

/** SCIM Notify event, as Felles IAM publishes it (sikt-no/docs `docs/iam/scim.md`). */
const ScimEvent = Schema.Struct({
  schemas: Schema.optional(Schema.Array(Schema.String)),
  type: Schema.Literal("ADD", "MODIFY", "DELETE", "ACTIVATE", "DEACTIVATE"),
  time: Schema.optional(Schema.String),
  resourceUris: Schema.Array(Schema.String),
  attributes: Schema.optional(Schema.Array(Schema.String))
})

/** DFØ's notification of a changed employee (`{"id", "uri", "gyldigEtter"}`). */
const DfoNotification = Schema.Struct({
  id: Schema.Union(Schema.String, Schema.Number),
  uri: Schema.String,
  gyldigEtter: Schema.optional(Schema.String)
})

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * The body as JSON. The client hands over a Buffer, a string (`text/plain`) or a value it
 * already parsed (`application/json`); DFØ sends JSON as `application/octet-stream`.
 */
const json = (body: unknown): Either.Either<unknown, string> => {
  if (body instanceof Uint8Array || typeof body === "string") {
    const size = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength
    if (size > maxBodyBytes) return Either.left(`body of ${size} bytes (at most ${maxBodyBytes})`)
    return Either.try({
      try: () => JSON.parse(typeof body === "string" ? body : fatalUtf8.decode(body)) as unknown,
      catch: (error) =>
        `not JSON: ${error instanceof Error ? error.message.slice(0, 120) : "unreadable"}`
    })
  }
  return Either.right(body)
}

const decode =
  <A, I>(schema: Schema.Schema<A, I>, what: string) =>
  (value: unknown): Either.Either<A, string> =>
    Schema.decodeUnknownEither(schema, { onExcessProperty: "ignore" })(value).pipe(
      Either.mapLeft(
        (error) =>
          `not ${what}: ${
            ParseResult.TreeFormatter.formatErrorSync(error)
              .split("\n")
              .slice(-1)[0]
              ?.replace(/^[└─ ]+/, "") ?? ""
          }`
      )
    )

/**
 * A SCIM attribute path's name: the part before any `[` or `.`, without a schema URN's
 * prefix (`urn:…:enterprise:2.0:User:employeeNumber` → `employeeNumber`), lower-cased, as
 * SCIM names are case-insensitive.
 */
export const attributeName = (path: string): string => {
  const beforeFilter = path.split("[", 1)[0] ?? ""
  const unqualified = beforeFilter.toLowerCase().startsWith("urn:")
    ? beforeFilter.slice(beforeFilter.lastIndexOf(":") + 1)
    : beforeFilter
  return (unqualified.split(".", 1)[0] ?? "").trim().toLowerCase()
}

/** The `idautoID` at the end of a SCIM user's resource URI (`…/scim/v2/Users/<idautoID>`). */
const idautoIdOf = (uri: string): Either.Either<string, string> => {
  const segments = uri.replace(/[?#].*$/, "").split("/")
  const last = segments.pop() ?? ""
  const id = Either.try(() => decodeURIComponent(last)).pipe(Either.getOrElse(() => ""))
  if (segments.pop() !== "Users" || id.trim() === "" || id !== id.trim()) {
    return Either.left("a resource URI without a user id (…/Users/<id>)")
  }
  if (id.length > maxKeyValueLength) {
    return Either.left(`a user id of ${id.length} characters (at most ${maxKeyValueLength})`)
  }
  return Either.right(id)
}

const timeOf = (text: string | undefined, arrival: Date): Date => {
  const parsed = text === undefined ? Number.NaN : Date.parse(text)
  return Number.isNaN(parsed) ? arrival : new Date(parsed)
}

/**
 * A SCIM event: a run by `idautoID` for each person its resource URIs name. `DELETE` needs
 * no run (the nightly run reconciles deletions, which SCIM does not map); a `MODIFY` that
 * names attributes, none of them in `relevant` (lower-case names), needs none either.
 */
export const readScim = (body: unknown, relevant: ReadonlySet<string>, arrival: Date): Reading =>
  Either.match(Either.flatMap(json(body), decode(ScimEvent, "a SCIM event")), {
    onLeft: deadLetter,
    onRight: (event) => {
      if (event.type === "DELETE") return ignore("DELETE: the nightly run reconciles deletions")
      if (event.type === "MODIFY" && event.attributes !== undefined) {
        const touched = event.attributes.map(attributeName)
        if (!touched.some((name) => relevant.has(name))) {
          return ignore(`MODIFY of ${touched.length} attribute(s), none the writeback reads`)
        }
      }
      if (event.resourceUris.length === 0) return deadLetter("no resource URI")
      const ids: Array<string> = []
      for (const uri of event.resourceUris) {
        const id = idautoIdOf(uri)
        if (Either.isLeft(id)) return deadLetter(id.left)
        if (!ids.includes(id.right)) ids.push(id.right)
      }
      const eventTime = timeOf(event.time, arrival)
      return run(
        ids.map((keyValue) => ({ source: "scim", keyField: "idautoID", keyValue, eventTime }))
      )
    }
  })

/** DFØ's notification: a run by `employee-id` when it is about an employee (`dfo:ansatte`). */
export const readDfo = (body: unknown, arrival: Date): Reading =>
  Either.match(Either.flatMap(json(body), decode(DfoNotification, "a DFØ notification")), {
    onLeft: deadLetter,
    onRight: (notification) => {
      if (notification.uri !== "dfo:ansatte") {
        return ignore(`uri ${JSON.stringify(notification.uri.slice(0, 64))} is not dfo:ansatte`)
      }
      return Either.match(readEmployeeId(String(notification.id)), {
        onLeft: (why) => deadLetter(`id is not an employee id: it ${why}`),
        onRight: (keyValue) =>
          run([{ source: "dfo", keyField: "employee-id", keyValue, eventTime: arrival }])
      })
    }
  })
