/**
 * The gateway's rate limit: `rps` tokens a second, up to `burst` saved up. `take` answers
 * either that the request may pass or how many milliseconds until a token is free.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    readonly rps: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now()
  ) {
    this.tokens = burst
    this.last = now()
  }

  take(): { readonly ok: true } | { readonly ok: false; readonly waitMs: number } {
    const now = this.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rps)
    this.last = now
    if (this.tokens >= 1) {
      this.tokens -= 1
      return { ok: true }
    }
    return { ok: false, waitMs: ((1 - this.tokens) / this.rps) * 1000 }
  }
}
