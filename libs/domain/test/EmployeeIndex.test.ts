import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { EmployeeIndexBuilder, indexEmployees } from "../src/index.js"

const employee = (id: string, epost?: string) => ({
  id,
  hasBrukerident: false,
  ...(epost === undefined ? {} : { epost })
})

describe("EmployeeIndex", () => {
  it("finds an employee by any zero-padding of its id", () => {
    const index = indexEmployees([employee("00030202", "a@uni.no")])
    assert.strictEqual(index.get("30202")?.epost, "a@uni.no")
    assert.strictEqual(index.get("030202")?.epost, "a@uni.no")
    assert.strictEqual(index.get("00030202")?.epost, "a@uni.no")
    assert.strictEqual(index.get("30203"), undefined)
  })

  it("counts ids no directory id can name, and never finds them", () => {
    const index = indexEmployees([employee("x12"), employee("123456789"), employee("7")])
    assert.strictEqual(index.size, 1)
    assert.strictEqual(index.ignored, 2)
    assert.strictEqual(index.get("x12"), undefined)
    assert.strictEqual(index.get("123456789"), undefined)
  })

  it("keeps DFØ's last record of an id", () => {
    const builder = new EmployeeIndexBuilder()
    builder.add(employee("12", "old@uni.no"))
    builder.add(employee("00000012", "new@uni.no"))
    const index = builder.build()
    assert.strictEqual(index.size, 1)
    assert.strictEqual(index.get("12")?.epost, "new@uni.no")
  })

  it("agrees with a map keyed by the id's value for any ids", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^\d{1,8}$/), { maxLength: 40 }), (ids) => {
        const index = indexEmployees(ids.map((id, n) => employee(id, `${n}@uni.no`)))
        const expected = new Map<number, string>()
        ids.forEach((id, n) => expected.set(Number(id), `${n}@uni.no`))
        assert.strictEqual(index.size, expected.size)
        for (const id of ids) assert.strictEqual(index.get(id)?.epost, expected.get(Number(id)))
      })
    )
  })
})
