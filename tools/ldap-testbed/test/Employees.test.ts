import { assert, describe, it } from "@effect/vitest"
import { accountsDn, employeeEntry, generateEmployees } from "../src/Employees.js"

describe("generateEmployees", () => {
  it("gives the same people for the same seed and different people for another", () => {
    const a = generateEmployees({ count: 50, seed: 7 })
    assert.deepStrictEqual(generateEmployees({ count: 50, seed: 7 }), a)
    const b = generateEmployees({ count: 50, seed: 8 })
    assert.notDeepEqual(
      b.map((e) => e.idautoId),
      a.map((e) => e.idautoId)
    )
  })

  it("keeps person i the same whatever the count", () => {
    const small = generateEmployees({ count: 10, seed: 3 })
    const large = generateEmployees({ count: 1000, seed: 3 })
    assert.deepStrictEqual(large.slice(0, 10), small)
  })

  it("shapes entries like RapidIdentity's", () => {
    const people = generateEmployees({
      count: 20,
      mix: {
        missingPayrollId: 0,
        missingUsername: 0,
        missingFeideId: 0,
        missingWorkEmail: 0,
        missingMail: 0
      }
    })
    for (const person of people) {
      assert.match(
        person.idautoId,
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
      )
      assert.strictEqual(person.dn, `idautoID=${person.idautoId},${accountsDn}`)
      assert.strictEqual(person.payrollId, String(100000 + person.index).padStart(8, "0"))
      assert.match(person.username ?? "", /^[a-z]+\d+$/)
      assert.strictEqual(person.feideId, `${person.username}@uni.no`)
      assert.strictEqual(person.workEmail, person.mail)
    }
    assert.strictEqual(people[0]?.payrollId, "00100000")
    assert.strictEqual(new Set(people.map((p) => p.idautoId)).size, people.length)
    assert.strictEqual(new Set(people.map((p) => p.username)).size, people.length)
  })

  it("follows the mix at its extremes", () => {
    const all = generateEmployees({
      count: 100,
      mix: {
        disabled: 1,
        deleted: 1,
        notEntitled: 1,
        missingPayrollId: 1,
        missingUsername: 1,
        missingFeideId: 1,
        missingWorkEmail: 1,
        missingMail: 1,
        businessRoles: [{ role: "iam:student", share: 1 }]
      }
    })
    for (const person of all) {
      assert.isTrue(person.disabled && person.deleted && !person.entitledToAd)
      assert.isUndefined(person.payrollId ?? person.username ?? person.feideId ?? person.workEmail)
      assert.isUndefined(person.mail)
      assert.deepStrictEqual(person.businessRoles, ["iam:student"])
      assert.notInclude(person.birthrightEntitlements, "Active Directory")
      assert.deepStrictEqual(person.requestedEntitlements, [])
    }
    const none = generateEmployees({
      count: 100,
      mix: { disabled: 0, deleted: 0, notEntitled: 0, requestedEntitlement: 1, businessRoles: [] }
    })
    for (const person of none) {
      assert.isFalse(person.disabled || person.deleted)
      assert.deepStrictEqual(person.requestedEntitlements, ["Active Directory"])
      assert.deepStrictEqual(person.businessRoles, [])
    }
  })

  it("mixes special cases at roughly the requested rates", () => {
    const people = generateEmployees({ count: 5000, seed: 11, mix: { disabled: 0.1 } })
    const disabled = people.filter((p) => p.disabled).length
    assert.isAbove(disabled, 400)
    assert.isBelow(disabled, 600)
  })
})

describe("employeeEntry", () => {
  it("writes the RapidIdentity attributes and leaves absent ones out", () => {
    const [person] = generateEmployees({
      count: 1,
      mix: { missingFeideId: 1, disabled: 1, notEntitled: 0, requestedEntitlement: 0 }
    })
    assert.isDefined(person)
    const entry = employeeEntry(person)
    assert.strictEqual(entry.dn, person.dn)
    assert.deepStrictEqual(entry["objectClass"], ["top", "inetOrgPerson", "idautoPerson"])
    assert.strictEqual(entry["idautoID"], person.idautoId)
    assert.strictEqual(entry["idautoDisabled"], "TRUE")
    assert.strictEqual(entry["idautoPersonExtBool3"], "FALSE")
    assert.strictEqual(entry["idautoPersonPayrollID"], person.payrollId)
    assert.include(entry["idautoPersonAppRoles2"] as ReadonlyArray<string>, "Active Directory")
    assert.notProperty(entry, "idautoPersonSystem5ID")
    assert.notProperty(entry, "idautoPersonAppRoles6")
  })
})
