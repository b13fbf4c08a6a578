/** The event consumer's settings (CONTRACT §8), read once at start-up. */
import { readFileSync } from "node:fs"
import { secretConfig } from "@dfo-writeback/domain"
import { Config, ConfigError, Either, Option, Redacted } from "effect"
import { settings as declared } from "./EventsSettings.js"

export interface EventsOptions {
  /** `amqp://` or `amqps://` with credentials (EVENTS_AMQP_URL): a secret. */
  readonly url: Redacted.Redacted<string>
  /** PEM CA bundle for `amqps://` (EVENTS_AMQP_CA_FILE), read at start-up. */
  readonly ca: string | undefined
  readonly scimQueue: string | undefined
  readonly dfoQueue: string | undefined
  /** Lower-case SCIM attribute names a MODIFY must touch to need a run. */
  readonly scimAttributes: ReadonlySet<string>
  readonly debounceMs: number
  readonly prefetch: number
  readonly maxAttempts: number
}

/** The defaults of CONTRACT §8, as `EventsSettings` declares them. */
export const defaults = {
  scimAttributes: declared.scimAttributes.default,
  debounceMs: declared.debounceMs.default,
  prefetch: declared.prefetch.default,
  maxAttempts: declared.maxAttempts.default
} as const

const bounded = (name: string, fallback: number, min: number, max: number) =>
  Config.integer(name).pipe(
    Config.validate({
      message: `must be a whole number from ${min} to ${max}`,
      validation: (n) => n >= min && n <= max
    }),
    Config.withDefault(fallback)
  )

const queueName = (name: string) =>
  Config.option(
    Config.string(name).pipe(
      Config.validate({
        message: "must be a queue name of 1–255 characters",
        validation: (queue) => queue.trim() !== "" && queue.length <= 255
      })
    )
  )

const invalid = (name: string, message: string) =>
  Either.left(ConfigError.InvalidData([name], message))

/** Never echoes the URL: it carries the broker's password. */
const brokerUrl = secretConfig(declared.amqpUrl.name).pipe(
  Config.mapOrFail((url) => {
    const parsed = URL.canParse(Redacted.value(url)) ? new URL(Redacted.value(url)) : undefined
    if (parsed === undefined || !["amqp:", "amqps:"].includes(parsed.protocol)) {
      return invalid(declared.amqpUrl.name, "must be an amqp:// or amqps:// URL")
    }
    return Either.right(url)
  })
)

const caFile = Config.option(
  Config.string(declared.amqpCaFile.name).pipe(
    Config.mapOrFail((path) =>
      Either.try({
        try: () => readFileSync(path, "utf8"),
        catch: (error) =>
          ConfigError.InvalidData(
            [declared.amqpCaFile.name],
            `cannot be read: ${error instanceof Error ? error.message : String(error)}`
          )
      }).pipe(
        Either.flatMap((pem) =>
          pem.includes("-----BEGIN CERTIFICATE-----")
            ? Either.right(pem)
            : Either.left(
                ConfigError.InvalidData([declared.amqpCaFile.name], "holds no PEM certificate")
              )
        )
      )
    )
  )
)

const attributes = Config.array(Config.string(), declared.scimAttributes.name).pipe(
  Config.map((names) => names.map((name) => name.trim()).filter((name) => name !== "")),
  Config.validate({
    message: "must name at least one SCIM attribute",
    validation: (names) => names.length > 0
  }),
  Config.withDefault<ReadonlyArray<string>>(defaults.scimAttributes)
)

/**
 * `None` when `EVENTS_AMQP_URL` is unset (events off). Every setting is checked either way
 * (an invalid one stops start-up even while events are off), and with the URL set at least
 * one queue must be named: a consumer that would silently consume nothing never starts.
 */
export const config: Config.Config<Option.Option<EventsOptions>> = Config.all({
  url: Config.option(brokerUrl),
  ca: caFile,
  scimQueue: queueName(declared.scimQueue.name),
  dfoQueue: queueName(declared.dfoQueue.name),
  attributes,
  debounceMs: bounded(declared.debounceMs.name, defaults.debounceMs, 0, 600_000),
  prefetch: bounded(declared.prefetch.name, defaults.prefetch, 1, 1000),
  maxAttempts: bounded(declared.maxAttempts.name, defaults.maxAttempts, 1, 100)
}).pipe(
  Config.mapOrFail((settings) => {
    if (Option.isNone(settings.url)) return Either.right(Option.none())
    if (Option.isNone(settings.scimQueue) && Option.isNone(settings.dfoQueue)) {
      return invalid(
        declared.scimQueue.name,
        `with ${declared.amqpUrl.name} set, name ${declared.scimQueue.name}, ${declared.dfoQueue.name} or both`
      )
    }
    return Either.right(
      Option.some({
        url: settings.url.value,
        ca: Option.getOrUndefined(settings.ca),
        scimQueue: Option.getOrUndefined(settings.scimQueue),
        dfoQueue: Option.getOrUndefined(settings.dfoQueue),
        scimAttributes: new Set(settings.attributes.map((name) => name.toLowerCase())),
        debounceMs: settings.debounceMs,
        prefetch: settings.prefetch,
        maxAttempts: settings.maxAttempts
      })
    )
  })
)
