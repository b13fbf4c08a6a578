/**
 * Options for the spans of calls made per user (a lookup, a claim search): no stack trace
 * captured, which `Effect.withSpan` otherwise does on every call for a trace no one reads.
 *
 * Those spans are made with `Effect.useSpan`, handing a child its parent explicitly, not
 * with `withSpan`, which also makes the span the fiber's current one: 11 Effect operations
 * a span instead of 36. Inside them, a span opened from the fiber (a reconnect's
 * `PortalDirectory.connect`) and a log line name the caller's span instead.
 */
export const hotSpan = { captureStackTrace: false } as const
