// The emulator's switches: what can go wrong between the writeback and DFØ, and how a
// successful answer looks.

/** The gateway's rate limit: `rps` requests a second, with up to `burst` (default `rps`) at once. */
export interface RateLimit {
  readonly rps: number
  readonly burst?: number
}

/** The switches of the emulator. Every share is a probability from 0 to 1. */
export interface Faults {
  /** Added to every answer under the base path, in milliseconds. */
  readonly latencyMs: number
  /** A uniformly random extra of 0..jitterMs milliseconds. */
  readonly jitterMs: number
  /** `429` with `Retry-After` (seconds) once the bucket is empty; `null` for no limit. */
  readonly rateLimit: RateLimit | null
  /** Share of requests answered `503`. */
  readonly errorRate: number
  /** Share of requests answered `429` with `Retry-After: retryAfterSeconds`, bucket or not. */
  readonly tooManyRate: number
  /** The `Retry-After` of `tooManyRate` answers; a fraction (not HTTP, but read) keeps tests fast. */
  readonly retryAfterSeconds: number
  /** Share of requests never answered (until the client gives up or the emulator stops). */
  readonly stallRate: number
  /** Share of requests whose connection is destroyed without an answer. */
  readonly resetRate: number
  /** What a successful write answers: `200` with the employee as it now is (DFØ's way), or `204`. */
  readonly writeStatus: 200 | 204
  /** Answer one employee as `{"ansatt":{...}}` (an older DFØ form) instead of a one-element list. */
  readonly ansattAsObject: boolean
  /**
   * Let `PATCH` through and treat it like `PUT`. Off by default: DFØ's gateway plans list only
   * `GET` and `PUT`, so it answers `PATCH` with `405`.
   */
  readonly acceptPatch: boolean
  /**
   * A cache policy on the gateway: a `GET`'s success is answered again from a stored copy
   * to later `GET`s of the same path unless they carry `X-Gravitee-Cache: BY_PASS`.
   * Turning it off empties the cache.
   */
  readonly gatewayCache: boolean
}

/** A change of switches; `seed` restarts the random draws from that seed. */
export type FaultsUpdate = { readonly [K in keyof Faults]?: Faults[K] } & {
  readonly seed?: number
  /** @deprecated the old name of `writeStatus`. */
  readonly patchStatus?: 200 | 204
}

/** No faults: every request answered at once, as DFØ would. */
export const NO_FAULTS: Faults = {
  latencyMs: 0,
  jitterMs: 0,
  rateLimit: null,
  errorRate: 0,
  tooManyRate: 0,
  retryAfterSeconds: 1,
  stallRate: 0,
  resetRate: 0,
  writeStatus: 200,
  ansattAsObject: false,
  acceptPatch: false,
  gatewayCache: false
}

const share = (name: string, value: number): number => {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new RangeError(`${name} must be between 0 and 1, got ${value}`)
  }
  return value
}

const nonNegative = (name: string, value: number): number => {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a number >= 0, got ${value}`)
  }
  return value
}

/** `current` with `update` applied; the deprecated `patchStatus` sets `writeStatus`. */
export const applyUpdate = (current: Faults, update: Omit<FaultsUpdate, "seed">): Faults => {
  const { patchStatus, ...rest } = update
  return {
    ...current,
    ...(patchStatus === undefined ? {} : { writeStatus: patchStatus }),
    ...rest
  } as Faults
}

/** `faults` when every share, delay and status is in range; a `RangeError` naming the first that is not. */
export const checkFaults = (faults: Faults): Faults => {
  nonNegative("latencyMs", faults.latencyMs)
  nonNegative("jitterMs", faults.jitterMs)
  share("errorRate", faults.errorRate)
  share("tooManyRate", faults.tooManyRate)
  nonNegative("retryAfterSeconds", faults.retryAfterSeconds)
  share("stallRate", faults.stallRate)
  share("resetRate", faults.resetRate)
  if (faults.errorRate + faults.tooManyRate + faults.stallRate + faults.resetRate > 1) {
    throw new RangeError("errorRate + tooManyRate + stallRate + resetRate must be at most 1")
  }
  if (faults.rateLimit !== null) {
    if (!(faults.rateLimit.rps > 0)) throw new RangeError("rateLimit.rps must be > 0")
    if (faults.rateLimit.burst !== undefined && !(faults.rateLimit.burst >= 1)) {
      throw new RangeError("rateLimit.burst must be >= 1")
    }
  }
  if (faults.writeStatus !== 200 && faults.writeStatus !== 204) {
    throw new RangeError("writeStatus must be 200 or 204")
  }
  return faults
}
