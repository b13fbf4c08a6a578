import { applyUpdate, checkFaults, type Faults, type FaultsUpdate } from "../Faults.js"
import type { Reply } from "../Emulator.js"
import { rateLimited, UNAVAILABLE } from "./gateway.js"
import { makeRng } from "./Rng.js"
import { TokenBucket } from "./TokenBucket.js"

/**
 * The switches in force, the seeded random draws of their shares and the rate limit's
 * bucket: decides, per request, whether it meets a fault instead of DFØ.
 */
export class FaultInjector {
  private current: Faults
  private random: () => number
  private bucket: TokenBucket | undefined

  constructor(faults: Faults, seed: number) {
    this.current = checkFaults(faults)
    this.random = makeRng(seed)
    this.bucket = FaultInjector.bucketFor(this.current)
  }

  get faults(): Faults {
    return this.current
  }

  /** Applies a change; a new rate limit starts a full bucket, a `seed` new draws. */
  update(update: FaultsUpdate): void {
    const { seed, ...rest } = update
    const next = checkFaults(applyUpdate(this.current, rest))
    const limitChanged = JSON.stringify(next.rateLimit) !== JSON.stringify(this.current.rateLimit)
    this.current = next
    if (limitChanged) this.bucket = FaultInjector.bucketFor(next)
    if (seed !== undefined) this.random = makeRng(seed)
  }

  /** Back to `faults` with a full bucket and draws from `seed`. */
  restart(faults: Faults, seed: number): void {
    this.current = checkFaults(faults)
    this.random = makeRng(seed)
    this.bucket = FaultInjector.bucketFor(this.current)
  }

  /** Milliseconds to wait before answering: the latency plus a random jitter. */
  delay(): number {
    const { latencyMs, jitterMs } = this.current
    return latencyMs + (jitterMs > 0 ? Math.floor(this.random() * (jitterMs + 1)) : 0)
  }

  /** The fault this request meets, if any: the rate limit first, then the shares. */
  draw(): Reply | undefined {
    if (this.bucket !== undefined) {
      const token = this.bucket.take()
      if (!token.ok) {
        return {
          status: 429,
          body: rateLimited(this.bucket.rps),
          headers: {
            "retry-after": String(Math.max(1, Math.ceil(token.waitMs / 1000))),
            "x-rate-limit-limit": String(this.bucket.rps)
          }
        }
      }
    }
    const { errorRate, tooManyRate, stallRate, resetRate } = this.current
    const anyShare = errorRate + tooManyRate + stallRate + resetRate
    if (anyShare === 0) return undefined
    const draw = this.random()
    if (draw < errorRate) return { status: 503, body: UNAVAILABLE }
    if (draw < errorRate + tooManyRate) {
      return {
        status: 429,
        body: rateLimited(this.current.rateLimit?.rps ?? 1),
        headers: { "retry-after": String(this.current.retryAfterSeconds) }
      }
    }
    if (draw < errorRate + tooManyRate + stallRate) return { stall: true }
    if (draw < anyShare) return { reset: true }
    return undefined
  }

  private static bucketFor(faults: Faults): TokenBucket | undefined {
    return faults.rateLimit === null
      ? undefined
      : new TokenBucket(faults.rateLimit.rps, faults.rateLimit.burst ?? faults.rateLimit.rps)
  }
}
