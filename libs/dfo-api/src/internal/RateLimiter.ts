import { Clock, Duration, Effect } from "effect"

/**
 * A token bucket: `rps` tokens a second, at most `burst` saved. Each caller reserves a token
 * at once (possibly going into debt) and sleeps until it is due, so waiting callers are
 * served in order and the rate holds across all of them. An interrupted wait gives its
 * token back.
 */
export const makeRateLimiter = (rps: number, burst: number): Effect.Effect<void> => {
  if (!Number.isFinite(rps)) return Effect.void
  let tokens = burst
  let last: number | undefined
  return Effect.flatMap(Clock.currentTimeMillis, (now) => {
    tokens = Math.min(burst, tokens + (Math.max(0, now - (last ?? now)) / 1000) * rps)
    last = now
    tokens -= 1
    if (tokens >= 0) return Effect.void
    return Effect.sleep(Duration.millis(Math.ceil((-tokens / rps) * 1000))).pipe(
      Effect.onInterrupt(() =>
        Effect.sync(() => {
          tokens += 1
        })
      )
    )
  })
}
