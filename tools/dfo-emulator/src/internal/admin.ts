/**
 * The emulator's admin API under `/__admin`: its switches, scripts, log, stats and
 * employees over HTTP, for tools that drive it from outside the process. Only the
 * public `Emulator` interface is used.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { parseEmployees } from "../Employee.js"
import type { ApiKey, Emulator, MutateAfter, ScriptedResponse } from "../Emulator.js"
import type { FaultsUpdate } from "../Faults.js"
import { parseJson, readBody, writeResponse } from "./http.js"

/** A request the admin API cannot act on: answered 400 with its message. */
class AdminError extends Error {}

const adminJson = async (req: IncomingMessage): Promise<unknown> => {
  const body = await readBody(req, 256 * 1024 * 1024)
  if (!body.ok) throw new AdminError(`could not read the body (${body.reason})`)
  if (body.text === "") return undefined
  const json = parseJson(body.text)
  if (!json.ok) throw new AdminError("the body is not JSON")
  return json.value
}

const asObject = (value: unknown, what: string): Record<string, unknown> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AdminError(`${what} must be a JSON object`)
  }
  return value as Record<string, unknown>
}

const adminRoute = async (
  emulator: Emulator,
  req: IncomingMessage,
  sub: string
): Promise<{ status: number; body?: unknown }> => {
  const method = req.method ?? "GET"
  const route = `${method} ${sub}`
  switch (route) {
    case "GET /log":
      return { status: 200, body: { requests: emulator.log() } }
    case "GET /stats":
      return { status: 200, body: emulator.stats() }
    case "POST /reset-log":
      emulator.resetLog()
      return { status: 204 }
    case "POST /reset":
      emulator.reset()
      return { status: 204 }
    case "GET /keys":
      return { status: 200, body: { keys: emulator.apiKeys() } }
    case "PUT /keys": {
      const body = asObject(await adminJson(req), "the keys")
      if (!Array.isArray(body["keys"])) throw new AdminError('expected {"keys":[{"key","plan"}]}')
      try {
        emulator.setApiKeys(body["keys"] as ReadonlyArray<ApiKey>)
      } catch (error) {
        if (error instanceof RangeError) throw new AdminError(error.message)
        throw error
      }
      return { status: 200, body: { keys: emulator.apiKeys() } }
    }
    case "GET /faults":
      return { status: 200, body: emulator.faults() }
    case "POST /faults":
    case "PATCH /faults":
      try {
        emulator.setFaults(asObject(await adminJson(req), "the switches") as FaultsUpdate)
      } catch (error) {
        if (error instanceof RangeError) throw new AdminError(error.message)
        throw error
      }
      return { status: 200, body: emulator.faults() }
    case "POST /script": {
      const value = await adminJson(req)
      const list = Array.isArray(value) ? value : [value]
      emulator.script(
        ...list.map((item) => asObject(item, "a scripted response") as ScriptedResponse)
      )
      return { status: 204 }
    }
    case "DELETE /script":
      emulator.clearScripts()
      return { status: 204 }
    case "POST /mutate-after": {
      const rule = asObject(await adminJson(req), "the rule")
      if (typeof rule["id"] !== "string") throw new AdminError("the rule needs an id")
      asObject(rule["set"], "set")
      emulator.mutateAfter(rule as unknown as MutateAfter)
      return { status: 204 }
    }
    case "GET /employees":
      return { status: 200, body: { ansatt: emulator.employees() } }
    case "PUT /employees":
      emulator.replaceEmployees(parseOrFail(await adminJson(req)))
      return { status: 204 }
    case "POST /employees":
      for (const employee of parseOrFail(await adminJson(req))) emulator.setEmployee(employee)
      return { status: 204 }
  }
  if (sub.startsWith("/employees/")) {
    const id = decodeURIComponent(sub.slice("/employees/".length))
    switch (method) {
      case "GET": {
        const employee = emulator.employee(id)
        return employee === undefined
          ? { status: 404, body: { message: `no employee ${id}` } }
          : { status: 200, body: employee }
      }
      case "PUT":
        emulator.setEmployee({ ...asObject(await adminJson(req), "the employee"), id })
        return { status: 200, body: emulator.employee(id) }
      case "PATCH": {
        const updated = emulator.updateEmployee(id, asObject(await adminJson(req), "the fields"))
        return updated === undefined
          ? { status: 404, body: { message: `no employee ${id}` } }
          : { status: 200, body: updated }
      }
      case "DELETE":
        return emulator.deleteEmployee(id)
          ? { status: 204 }
          : { status: 404, body: { message: `no employee ${id}` } }
    }
  }
  return { status: 404, body: { message: `no admin route ${route}` } }
}

const parseOrFail = (value: unknown) => {
  try {
    return parseEmployees(value)
  } catch (error) {
    throw new AdminError(error instanceof Error ? error.message : String(error))
  }
}

export const handleAdmin = async (
  emulator: Emulator,
  req: IncomingMessage,
  res: ServerResponse,
  sub: string
): Promise<void> => {
  try {
    const { status, body } = await adminRoute(emulator, req, sub)
    writeResponse(res, status, body === undefined ? undefined : JSON.stringify(body))
  } catch (error) {
    if (error instanceof AdminError) {
      writeResponse(res, 400, JSON.stringify({ message: error.message }))
    } else {
      throw error
    }
  }
}
