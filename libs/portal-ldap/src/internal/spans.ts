/**
 * Options for the spans of calls made per user (a lookup, a claim search): no stack trace
 * captured, which `Effect.withSpan` otherwise does on every call for a trace no one reads.
 */
export const hotSpan = { captureStackTrace: false } as const
