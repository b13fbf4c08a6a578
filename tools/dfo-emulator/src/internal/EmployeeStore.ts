import type { Employee } from "../Employee.js"
import { canonicalId } from "./ids.js"

/**
 * The employees by 8-digit id, and the list answer serialised once per change (a list of
 * 200 000 takes a while to stringify).
 */
export class EmployeeStore {
  private readonly byId = new Map<string, Employee>()
  private listCache: Buffer | undefined

  constructor(employees: Iterable<Employee>) {
    this.replaceAll(employees)
  }

  /** By id with or without leading zeros. */
  get(id: string): Employee | undefined {
    return this.byId.get(canonicalId(id))
  }

  all(): ReadonlyArray<Employee> {
    return [...this.byId.values()]
  }

  get size(): number {
    return this.byId.size
  }

  /** Stored under the 8-digit id, which the employee object then carries too. */
  set(employee: Employee): void {
    if (typeof employee.id !== "string" || employee.id === "") {
      throw new TypeError("an employee needs a non-empty string id")
    }
    const id = canonicalId(employee.id)
    this.byId.set(id, id === employee.id ? employee : { ...employee, id })
    this.listCache = undefined
  }

  /** Merges `fields` (`undefined` removes one; `id` never changes); `undefined` when no such id. */
  update(anyId: string, fields: Readonly<Record<string, unknown>>): Employee | undefined {
    const id = canonicalId(anyId)
    const current = this.byId.get(id)
    if (current === undefined) return undefined
    const next: Record<string, unknown> = { ...current }
    for (const [key, value] of Object.entries(fields)) {
      if (key === "id") continue
      if (value === undefined) delete next[key]
      else next[key] = value
    }
    const updated = next as Employee
    this.byId.set(id, updated)
    this.listCache = undefined
    return updated
  }

  delete(id: string): boolean {
    const deleted = this.byId.delete(canonicalId(id))
    if (deleted) this.listCache = undefined
    return deleted
  }

  replaceAll(employees: Iterable<Employee>): void {
    this.byId.clear()
    for (const employee of employees) this.set(employee)
    this.listCache = undefined
  }

  /** `{"ansatt":[...]}`, as `GET {base}` answers. */
  listBody(): Buffer {
    this.listCache ??= Buffer.from(JSON.stringify({ ansatt: [...this.byId.values()] }))
    return this.listCache
  }
}
