// The bodies the gateway and DFØ answer with, byte for byte the same on every answer.

/** A path outside any API the gateway publishes: no DFØ `faultText`. */
export const GATEWAY_NOT_FOUND = JSON.stringify({
  message: "No context-path matches the request URI.",
  http_status_code: 404
})
export const UNAUTHORIZED = JSON.stringify({ message: "Unauthorized", http_status_code: 401 })
/** A method the key's plan does not list: Gravitee answers, DFØ never sees the request. */
export const METHOD_NOT_ALLOWED = JSON.stringify({
  message: "Method Not Allowed",
  http_status_code: 405
})
export const UNAVAILABLE = JSON.stringify({ message: "Service Unavailable", http_status_code: 503 })

export const rateLimited = (rps: number) =>
  JSON.stringify({
    message: `Rate limit exceeded ! You reach the limit of ${rps} requests per 1 seconds`,
    http_status_code: 429
  })

/** DFØ's error body. */
export const fault = (faultText: string) => JSON.stringify({ standard: { faultText } })

/** DFØ's answer for an id it has no employee for. */
export const notEmployed = (id: string) => fault(`IKKE ANSATT ${id}`)

/** An answer decided without touching the connection. */
export interface Answer {
  readonly status: number
  readonly payload?: string | Buffer | undefined
  readonly headers?: Readonly<Record<string, string>>
}
