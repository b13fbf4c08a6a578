// The employee API behind the gateway (CONTRACT §3), as answers: no sockets here.
import type { Employee } from "../Employee.js"
import type { KeyPlan } from "../Emulator.js"
import type { Faults } from "../Faults.js"
import type { EmployeeStore } from "./EmployeeStore.js"
import {
  type Answer,
  fault,
  GATEWAY_NOT_FOUND,
  METHOD_NOT_ALLOWED,
  notEmployed
} from "./gateway.js"
import { parseJson } from "./http.js"
import { canonicalId } from "./ids.js"
import { validateWrite } from "./validateWrite.js"

/** A request to the employee API once the gateway has let it through. */
export interface ApiRequest {
  readonly method: string
  /** Relative to the base path: `""` is the list, `"/00100001"` one employee. */
  readonly path: string
  readonly contentType: string
  readonly body: string
  /** The plan of the key it carries. */
  readonly plan: KeyPlan
}

const text = (value: unknown) => (typeof value === "string" ? value.trim() : "")

/** One employee as DFØ answers it: a one-element list, or the older object form. */
const oneEmployee = (employee: Employee, faults: Faults): Answer => ({
  status: 200,
  payload: JSON.stringify({ ansatt: faults.ansattAsObject ? employee : [employee] })
})

/** The gateway's plan: `GET` for every key; `PUT` (and `PATCH` when accepted) for read-write keys. */
const allowed = (request: ApiRequest, faults: Faults) =>
  request.method === "GET" ||
  (request.plan === "read-write" &&
    (request.method === "PUT" || (request.method === "PATCH" && faults.acceptPatch)))

/** Answers a request to the employee API, applying a write to `store`. */
export const serveEmployeeApi = (
  request: ApiRequest,
  store: EmployeeStore,
  faults: Faults
): Answer => {
  if (!allowed(request, faults)) {
    return {
      status: 405,
      payload: METHOD_NOT_ALLOWED,
      headers: { allow: request.plan === "read-write" ? "GET, PUT" : "GET" }
    }
  }
  if (request.path === "" || request.path === "/") {
    if (request.method === "GET") return { status: 200, payload: store.listBody() }
    return { status: 405, payload: METHOD_NOT_ALLOWED, headers: { allow: "GET" } }
  }
  const segment = request.path.slice(1)
  if (segment.includes("/")) return { status: 404, payload: GATEWAY_NOT_FOUND }
  let requested: string
  try {
    requested = decodeURIComponent(segment)
  } catch {
    return { status: 400, payload: fault("Ugyldig ansattnummer") }
  }
  const employee = store.get(requested)
  if (employee === undefined) return { status: 404, payload: notEmployed(requested) }
  if (request.method === "GET") return oneEmployee(employee, faults)
  return write(request, employee, store, faults)
}

const write = (
  request: ApiRequest,
  employee: Employee,
  store: EmployeeStore,
  faults: Faults
): Answer => {
  if (!/^application\/json\s*(;|$)/i.test(request.contentType)) {
    return { status: 415, payload: fault("Content-Type må være application/json") }
  }
  const json = parseJson(request.body)
  if (!json.ok) return { status: 400, payload: fault("Ugyldig JSON i forespørselen") }
  const check = validateWrite(json.value)
  if (!check.ok) return { status: check.status, payload: fault(check.faultText) }
  const fields: Record<string, string | null> = { ...check.fields }
  // DFØ's own write-once rule: a brukerident once set is kept, and the write still succeeds.
  if ("brukerident" in fields && text(employee["brukerident"]) !== "") {
    delete fields["brukerident"]
  }
  const updated = store.update(canonicalId(employee.id), fields) as Employee
  if (faults.writeStatus === 204) return { status: 204 }
  return oneEmployee(updated, faults)
}
