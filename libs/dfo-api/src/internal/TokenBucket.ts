/**
 * A token bucket of `burst` tokens refilled at `perSecond`, kept in plain numbers: `take`
 * reserves the next token and answers how long its caller waits for it (0: go now). A
 * bucket in debt hands out tokens in order, one every `1000 / perSecond` ms, so concurrent
 * callers are spaced without a queue. Measured: effect's `RateLimiter` cost 115 µs a
 * request at 8 in flight; this is a few arithmetic operations.
 */
export interface TokenBucket {
  /** Reserves a token at `now` (ms); answers the ms until it may be used. */
  readonly take: (now: number) => number
  /** Gives back a token reserved but not used (its caller was interrupted while waiting). */
  readonly giveBack: () => void
}

export const make = (perSecond: number, burst: number): TokenBucket => {
  // Below 0 the bucket is in debt: that many tokens are promised to waiting callers.
  let tokens = burst
  let refilledAt: number | undefined
  return {
    take: (now) => {
      if (refilledAt !== undefined && now > refilledAt) {
        tokens = Math.min(burst, tokens + ((now - refilledAt) * perSecond) / 1000)
      }
      if (refilledAt === undefined || now > refilledAt) refilledAt = now
      tokens -= 1
      return tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / perSecond)
    },
    giveBack: () => {
      tokens = Math.min(burst, tokens + 1)
    }
  }
}
