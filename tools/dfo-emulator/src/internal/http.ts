import type { IncomingMessage, ServerResponse } from "node:http"

export type BodyRead =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: "too-large" | "aborted" }

/** Reads a request body as UTF-8, refusing more than `limit` bytes. */
export const readBody = (req: IncomingMessage, limit: number): Promise<BodyRead> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let done = false
    const finish = (result: BodyRead) => {
      if (done) return
      done = true
      resolve(result)
    }
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        req.pause()
        finish({ ok: false, reason: "too-large" })
      } else {
        chunks.push(chunk)
      }
    })
    req.on("end", () => finish({ ok: true, text: Buffer.concat(chunks).toString("utf8") }))
    req.on("error", () => finish({ ok: false, reason: "aborted" }))
    req.on("close", () => finish({ ok: false, reason: "aborted" }))
  })

export type JsonBody = { readonly ok: true; readonly value: unknown } | { readonly ok: false }

export const parseJson = (text: string): JsonBody => {
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false }
  }
}

const JSON_TYPE = "application/json; charset=utf-8"

/** Writes a complete answer; `payload` undefined means no body. */
export const writeResponse = (
  res: ServerResponse,
  status: number,
  payload: string | Buffer | undefined,
  headers: Readonly<Record<string, string>> = {}
): void => {
  if (res.headersSent || res.destroyed) return
  const extra: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) extra[name.toLowerCase()] = value
  if (payload === undefined || status === 204 || status === 304) {
    res.writeHead(status, extra)
    res.end()
    return
  }
  res.writeHead(status, {
    "content-type": JSON_TYPE,
    "content-length": String(
      typeof payload === "string" ? Buffer.byteLength(payload) : payload.length
    ),
    ...extra
  })
  res.end(payload)
}

export const isUnder = (pathname: string, prefix: string): boolean =>
  pathname === prefix || (pathname.startsWith(prefix) && pathname.charCodeAt(prefix.length) === 47)
