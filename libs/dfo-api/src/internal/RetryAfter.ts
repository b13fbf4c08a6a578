/**
 * `Retry-After` in milliseconds: either delay-seconds or an HTTP date (RFC 9110 §10.2.3).
 * `undefined` when absent or unreadable; a date in the past is 0.
 */
export const parseRetryAfter = (
  value: string | ReadonlyArray<string> | undefined,
  now: number
): number | undefined => {
  const text = (typeof value === "string" ? value : value?.[0])?.trim()
  if (text === undefined || text === "") return undefined
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * How long the gateway asks to wait: `Retry-After`, or else, on a `429`, Gravitee's
 * rate-limit `X-Rate-Limit-Reset` (the epoch milliseconds when the window resets). The
 * gateway may send that header on every answer; only a refusal for the rate limit means
 * "wait for the reset", so a `503` is not held to a long window.
 */
export const parseWaitHeaders = (
  status: number,
  headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
  now: number
): { readonly ms: number; readonly header: string } | undefined => {
  const retryAfter = parseRetryAfter(headers["retry-after"], now)
  if (retryAfter !== undefined) {
    return { ms: retryAfter, header: `Retry-After ${String(headers["retry-after"])}` }
  }
  if (status !== 429) return undefined
  const reset = headers["x-rate-limit-reset"]
  const text = (typeof reset === "string" ? reset : reset?.[0])?.trim()
  if (text === undefined || !/^\d+$/.test(text)) return undefined
  return { ms: Math.max(0, Number(text) - now), header: `X-Rate-Limit-Reset ${text}` }
}
