import { type DfoEmployee, employeeKey, isEmployeeId } from "./DfoEmployee.js"

/**
 * DFØ's employees by numeric id, holding only the fields the rules read (the bulk list,
 * CONTRACT §3). A night's run looks up every directory entry here, so it must stay small
 * at DFØ's size: numeric keys, one small object per employee, nothing else of the answer.
 */
export interface EmployeeIndex {
  /** Employees held. */
  readonly size: number
  /** Ids in the answer no directory id can name (not 1–8 digits): never looked up. */
  readonly ignored: number
  /** The employee `id` names, in any zero-padding (CONTRACT §1). */
  readonly get: (id: string) => DfoEmployee | undefined
}

/** The numeric key of an id that may name an employee, or `undefined`. */
const keyOf = (id: string): number | undefined =>
  isEmployeeId(id) ? Number(employeeKey(id)) : undefined

/**
 * Builds an index one employee at a time, as a streamed answer yields them. A later
 * record of the same id replaces an earlier one, as DFØ's last word.
 */
export class EmployeeIndexBuilder {
  private readonly byKey = new Map<number, DfoEmployee>()
  private ignoredIds = 0

  add(employee: DfoEmployee): void {
    const key = keyOf(employee.id)
    if (key === undefined) {
      this.ignoredIds += 1
      return
    }
    this.byKey.set(key, employee)
  }

  build(): EmployeeIndex {
    const byKey = this.byKey
    return {
      size: byKey.size,
      ignored: this.ignoredIds,
      get: (id) => {
        const key = keyOf(id)
        return key === undefined ? undefined : byKey.get(key)
      }
    }
  }
}

/** An index of employees already decoded. */
export const indexEmployees = (employees: Iterable<DfoEmployee>): EmployeeIndex => {
  const builder = new EmployeeIndexBuilder()
  for (const employee of employees) builder.add(employee)
  return builder.build()
}
