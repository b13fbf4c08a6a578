import type { IncomingHttpHeaders } from "node:http"
import type { Answer } from "./gateway.js"

/**
 * Gravitee's cache policy, as an institution may add it to its plan: a `GET`'s success is
 * kept per path and answered again to every later `GET` of that path, DFØ never asked,
 * unless the request carries `X-Gravitee-Cache: BY_PASS`. A write does not clear it.
 */
export class GatewayCache {
  private readonly answers = new Map<string, Answer>()

  /** Whether the policy takes part in this request: a `GET` that does not ask to bypass it. */
  static applies(method: string, headers: IncomingHttpHeaders): boolean {
    const mode = headers["x-gravitee-cache"]
    return method === "GET" && !(typeof mode === "string" && mode.toUpperCase() === "BY_PASS")
  }

  get(path: string): Answer | undefined {
    return this.answers.get(path)
  }

  /** Keeps a success; any other answer is passed on uncached, as Gravitee does. */
  keep(path: string, answer: Answer): void {
    if (answer.status === 200) this.answers.set(path, answer)
  }

  clear(): void {
    this.answers.clear()
  }
}
