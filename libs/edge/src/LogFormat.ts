import {
  Cause,
  Config,
  type ConfigError,
  Context,
  FiberRef,
  FiberRefs,
  HashMap,
  Inspectable,
  Layer,
  Logger,
  LogLevel,
  Option,
  Tracer
} from "effect"
import { settings } from "./EdgeSettings.js"

/** `json`: one object a line, as the sector's Loki expects (CONTRACT §6); `text` for people. */
export type Format = "json" | "text"

export interface Options {
  readonly format: Format
  readonly level: LogLevel.LogLevel
  /**
   * The server logs on stdout; the CLI on stderr, keeping stdout for its output, or to
   * `--log-file`. Throws when the line could not be written whole.
   */
  readonly write: (line: string) => void
}

/**
 * Control characters (C0, DEL, C1), Unicode line separators and bidirectional overrides as
 * visible escapes: text from outside (a DFØ faultText, an LDAP value) can neither start a
 * forged log line nor move the cursor, clear the screen or reorder what a terminal shows.
 */
export const escapeControl = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    switch (c) {
      case "\n":
        return "\\n"
      case "\r":
        return "\\r"
      case "\t":
        return "\\t"
      default:
        return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
    }
  })

/** Longest string value a log line carries; an echoed value is cut, saying how much was. */
export const maxValueLength = 2048

/** `text` cut to `max` characters, saying how many were left out. */
export const clip = (text: string, max = maxValueLength): string =>
  text.length <= max ? text : `${text.slice(0, max)}…(${text.length - max} more characters)`

const clipValue = (value: unknown): unknown => (typeof value === "string" ? clip(value) : value)

const messageText = (message: unknown): string => {
  const parts = Array.isArray(message) ? message : [message]
  return parts
    .map((part) => (typeof part === "string" ? part : Inspectable.toStringUnknown(part)))
    .join(" ")
}

/**
 * Hands a line to the sink. An `audit` line the sink could not take is thrown on to the
 * fiber that logged it, whose write must then not be sent; any other line is dropped, so
 * a full disk does not end the run without its summary (the sink keeps its failure).
 */
const emit = (options: Options, line: string, audit: boolean) => {
  try {
    options.write(line)
  } catch (failure) {
    if (audit) throw failure
  }
}

const makeLogger = (options: Options) =>
  Logger.make<unknown, void>(({ annotations, cause, context, date, logLevel, message }) => {
    const fields: Record<string, unknown> = {
      level: logLevel.label.toLowerCase(),
      time: date.toISOString(),
      message: clip(messageText(message))
    }
    // The span the line was logged in, so Loki can link a line to its trace (issue #12).
    const span = Context.getOption(
      FiberRefs.getOrDefault(context, FiberRef.currentContext),
      Tracer.ParentSpan
    )
    if (options.format === "json" && Option.isSome(span)) {
      fields["trace_id"] = span.value.traceId
      fields["span_id"] = span.value.spanId
    }
    for (const [key, value] of HashMap.toEntries(annotations)) fields[key] = clipValue(value)
    if (!Cause.isEmpty(cause)) fields["cause"] = clip(Cause.pretty(cause), 8 * maxValueLength)
    const audit = fields["audit"] === true
    if (options.format === "json") {
      // JSON.stringify escapes C0 controls; these it leaves raw, and a terminal tailing the
      // log would act on them.
      emit(
        options,
        JSON.stringify(fields).replace(
          /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
          (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
        ),
        audit
      )
      return
    }
    const { level, time, message: text, ...rest } = fields
    const extra = Object.entries(rest)
      .map(
        ([key, value]) =>
          `${escapeControl(key)}=${escapeControl(typeof value === "string" ? value : JSON.stringify(value))}`
      )
      .join(" ")
    emit(
      options,
      `${String(time)} ${String(level).toUpperCase().padEnd(5)} ${escapeControl(String(text))}${extra === "" ? "" : ` ${extra}`}`,
      audit
    )
  })

/** Replaces the default logger and sets the minimum level. */
export const layer = (options: Options): Layer.Layer<never> =>
  Layer.merge(
    Logger.replace(Logger.defaultLogger, makeLogger(options)),
    Logger.minimumLogLevel(options.level)
  )

const levels: Record<string, LogLevel.LogLevel> = {
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

/** `LOG_LEVEL` and `LOG_FORMAT` (CONTRACT §6). */
export const OptionsConfig = (write: (line: string) => void): Config.Config<Options> =>
  Config.all({
    level: Config.literal(...(Object.keys(levels) as [string, ...Array<string>]))(
      settings.logLevel.name
    ).pipe(Config.withDefault(settings.logLevel.default)),
    format: Config.literal(
      "json",
      "text"
    )(settings.logFormat.name).pipe(Config.withDefault(settings.logFormat.default))
  }).pipe(
    Config.map(({ level, format }) => ({ level: levels[level] ?? LogLevel.Info, format, write }))
  )

/** The logger from configuration. */
export const layerConfig = (
  write: (line: string) => void
): Layer.Layer<never, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Config.map(OptionsConfig(write), layer))
