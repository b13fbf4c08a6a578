import {
  type DfoRecord,
  type DfoRecordInput,
  EMPLOYEE_DOMAIN,
  makeDfoRecord,
  makeDfoRecords,
  type MakeDfoRecordsOptions
} from "@dfo-writeback/population"
import { readFile } from "node:fs/promises"

/**
 * An employee object as DFØ returns it: `id` plus many other fields. The emulator keeps
 * whatever it is given; only the fields a write may change are checked.
 */
export type Employee = DfoRecord

/** What `makeEmployee` takes: an id and any fields to set; an explicit `undefined` drops a field. */
export type EmployeeInput = DfoRecordInput

export type MakeEmployeesOptions = MakeDfoRecordsOptions

export { EMPLOYEE_DOMAIN }

/** A realistic DFØ employee object (the population's `makeDfoRecord`). */
export const makeEmployee: (partial: EmployeeInput) => Employee = makeDfoRecord

/** `count` employees with consecutive ids (the population's `makeDfoRecords`). */
export const makeEmployees: (
  count: number,
  options?: MakeEmployeesOptions
) => ReadonlyArray<Employee> = makeDfoRecords

/** Reads employees from `{"ansatt":[...]}` or an array; every element needs a string or number `id`. */
export const parseEmployees = (data: unknown): ReadonlyArray<Employee> => {
  const list = Array.isArray(data)
    ? data
    : typeof data === "object" &&
        data !== null &&
        Array.isArray((data as { ansatt?: unknown }).ansatt)
      ? ((data as { ansatt: Array<unknown> }).ansatt as Array<unknown>)
      : undefined
  if (list === undefined) throw new Error('expected {"ansatt":[...]} or an array of employees')
  return list.map((item, index) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      throw new Error(`employee #${index} is not an object`)
    }
    const id = (item as { id?: unknown }).id
    if (typeof id === "number" && Number.isInteger(id)) return { ...item, id: String(id) }
    if (typeof id !== "string" || id === "") {
      throw new Error(`employee #${index} has no id`)
    }
    return item as Employee
  })
}

/** Reads a data file for `parseEmployees`. */
export const loadEmployeesFile = async (path: string): Promise<ReadonlyArray<Employee>> => {
  const text = await readFile(path, "utf8")
  try {
    return parseEmployees(JSON.parse(text))
  } catch (error) {
    throw new Error(`${path}: ${error instanceof Error ? error.message : String(error)}`)
  }
}
