import { assert, describe, it } from "@effect/vitest"
import {
  canonicalId,
  entryCheck,
  type Expected,
  expectedOutcomes,
  generatePeople,
  ldapEntryOf,
  makeDfoRecord,
  nightMix,
  notConverged,
  type Person,
  plainMix,
  plannedChange,
  Population,
  type Rules,
  wanted,
  writtenIds,
  wrongWrites
} from "../src/index.js"

const rules: Rules = { writebackBrukerident: true, businessRoleExceptions: ["iam:external"] }

const tally = (outcomes: ReadonlyMap<string, Expected>) => {
  const counts: Record<string, number> = {}
  for (const e of outcomes.values()) {
    const key = e.outcome === "SKIPPED" ? e.reason : e.outcome
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

describe("Population.make", () => {
  it("gives the same people and records for the same seed, person i whatever the count", () => {
    const a = Population.make({ count: 500, seed: 4 })
    const b = Population.make({ count: 500, seed: 4 })
    assert.deepStrictEqual(b.entries, a.entries)
    assert.deepStrictEqual(b.dfoRecords, a.dfoRecords)
    const small = Population.make({ count: 50, seed: 4 })
    assert.deepStrictEqual(small.entries, a.entries.slice(0, 50))
    assert.notDeepEqual(Population.make({ count: 50, seed: 5 }).entries, small.entries)
  })

  it("keeps the people when only the DFØ mix changes", () => {
    const a = Population.make({ count: 200, seed: 2 })
    const b = Population.make({ count: 200, seed: 2, dfo: { staleEpost: 0.5 } })
    assert.deepStrictEqual(b.entries, a.entries)
    assert.notDeepEqual(b.dfoRecords, a.dfoRecords)
  })

  it("adds dfoOnly employees to DFØ's list, after the directory's ids, changing nothing else", () => {
    const directory = Population.make({ count: 300, seed: 6 })
    const larger = Population.make({ count: 300, seed: 6, dfoOnly: 1_200 })
    assert.deepStrictEqual(larger.entries, directory.entries)
    assert.strictEqual(larger.people.length, 300)
    assert.strictEqual(larger.dfoRecords.length, directory.dfoRecords.length + 1_200)
    assert.deepStrictEqual(
      larger.dfoRecords.slice(0, directory.dfoRecords.length),
      directory.dfoRecords
    )
    const extra = larger.dfoRecords.slice(directory.dfoRecords.length).map((r) => r.id)
    assert.strictEqual(extra[0], "00100300")
    assert.strictEqual(extra[extra.length - 1], "00101499")
    assert.strictEqual(new Set(larger.dfoRecords.map((r) => r.id)).size, larger.dfoRecords.length)
    // Nobody in the directory meets one of them: the run plans exactly what it did without.
    assert.deepStrictEqual(
      expectedOutcomes(larger.people, larger.dfoRecordOf, rules),
      expectedOutcomes(directory.people, directory.dfoRecordOf, rules)
    )
  })

  it("plans a few percent of updates on a default night, and meets every hard case", () => {
    const night = Population.make({ count: 10_000, seed: 1 })
    const counts = tally(expectedOutcomes(night.people, night.dfoRecordOf, rules))
    const updated = counts["UPDATED"] ?? 0
    assert.isAbove(updated, 100)
    assert.isBelow(updated, 600, JSON.stringify(counts))
    assert.isAbove(counts["UNCHANGED"] ?? 0, 7_000)
    for (const reason of [
      "DELETED",
      "DISABLED",
      "MISSING_ATTRIBUTES",
      "INVALID_ATTRIBUTES",
      "NOT_ENTITLED_AD",
      "BUSINESS_ROLE_EXCEPTION",
      "DUPLICATE_EMPLOYEE_ID",
      "NOT_IN_SAP"
    ]) {
      assert.isAbove(counts[reason] ?? 0, 0, reason)
    }
    const unpadded = night.people.filter((p) => p.payrollId !== undefined && p.payrollId.length < 8)
    assert.isAbove(unpadded.length, 2_500)
    assert.isBelow(unpadded.length, 3_500)
    assert.isTrue(unpadded.every((p) => /^[1-9]\d{0,7}$/.test(p.payrollId as string)))
  })

  it("stores DFØ records under 8-digit ids, one per id, found for unpadded people", () => {
    const night = Population.make({ count: 2_000, seed: 3 })
    const ids = night.dfoRecords.map((r) => r.id)
    assert.isTrue(ids.every((id) => /^\d{8}$/.test(id)))
    assert.strictEqual(new Set(ids).size, ids.length)
    const person = night.people.find(
      (p) => p.payrollId !== undefined && p.payrollId.length < 8 && night.stateOf(p) !== "absent"
    ) as Person
    assert.strictEqual(night.dfoRecordOf(person)?.id, canonicalId(person.payrollId as string))
    const absent = night.people.filter((p) => night.stateOf(p) === "absent")
    assert.isNotEmpty(absent)
  })

  it("writes duplicates as two entries with one payroll id, and multi-valued attributes", () => {
    const night = Population.make({
      count: 3_000,
      seed: 1,
      mix: { duplicate: 0.05, multiValued: 0.05 }
    })
    const outcomes = expectedOutcomes(night.people, night.dfoRecordOf, rules)
    const dup = night.people.find(
      (p) =>
        outcomes.get(p.idautoId)?.outcome === "SKIPPED" &&
        (outcomes.get(p.idautoId) as { reason: string }).reason === "DUPLICATE_EMPLOYEE_ID"
    ) as Person
    const twins = night.people.filter(
      (p) =>
        p.payrollId !== undefined &&
        canonicalId(p.payrollId) === canonicalId(dup.payrollId as string)
    )
    assert.isAtLeast(twins.length, 2)
    const multi = night.people.find((p) => p.multiValued !== undefined) as Person
    const entry = ldapEntryOf(multi)
    const values = entry[multi.multiValued?.attribute as string] as ReadonlyArray<string>
    assert.strictEqual(values.length, 2)
    assert.strictEqual(new Set(values).size, 2)
    const invalid = night.people.filter(
      (p) =>
        p.multiValued !== undefined &&
        !p.deleted &&
        !p.disabled &&
        wanted(p).epost !== undefined &&
        wanted(p).eksternIdent !== undefined &&
        p.payrollId !== undefined
    )
    assert.isNotEmpty(invalid)
    assert.isTrue(invalid.every((p) => entryCheck(p, rules) === "INVALID_ATTRIBUTES"))
  })

  it("with the plain mix, gives the testbed's people: no unpadded, shared or multi-valued ids", () => {
    const plain = Population.make({ count: 1_000, seed: 11, mix: plainMix })
    assert.deepStrictEqual(plain.people, generatePeople({ count: 1_000, seed: 11 }))
    assert.isTrue(plain.people.every((p) => p.multiValued === undefined))
    assert.isTrue(plain.people.every((p) => p.payrollId === undefined || p.payrollId.length === 8))
    const ids = plain.people.flatMap((p) => (p.payrollId === undefined ? [] : [p.payrollId]))
    assert.strictEqual(new Set(ids).size, ids.length)
    assert.deepStrictEqual(nightMix.businessRoles, plainMix.businessRoles)
  })
})

describe("the rules", () => {
  const base = generatePeople({
    count: 1,
    mix: {
      disabled: 0,
      deleted: 0,
      notEntitled: 0,
      missingPayrollId: 0,
      missingFeideId: 0,
      missingWorkEmail: 0,
      missingMail: 0,
      businessRoles: []
    }
  })[0] as Person

  it("takes eksternIdent from the Feide ID else mail, epost without fallback, brukerident from the payroll id", () => {
    assert.deepStrictEqual(wanted(base), {
      eksternIdent: base.feideId,
      epost: base.workEmail,
      brukerident: base.payrollId
    })
    const { feideId: _f, workEmail: _w, ...bare } = base
    assert.strictEqual(wanted(bare).eksternIdent, base.mail)
    assert.strictEqual(wanted(bare).epost, undefined)
    assert.strictEqual(entryCheck(bare, rules), "MISSING_ATTRIBUTES")
  })

  it("checks in the contract's order", () => {
    assert.strictEqual(entryCheck(base, rules), undefined)
    assert.strictEqual(entryCheck({ ...base, deleted: true, disabled: true }, rules), "DELETED")
    assert.strictEqual(
      entryCheck({ ...base, disabled: true, entitledToAd: false }, rules),
      "DISABLED"
    )
    assert.strictEqual(entryCheck({ ...base, payrollId: "123456789" }, rules), "INVALID_ATTRIBUTES")
    assert.strictEqual(entryCheck({ ...base, payrollId: "12A" }, rules), "INVALID_ATTRIBUTES")
    assert.strictEqual(
      entryCheck({ ...base, workEmail: `${"e".repeat(240)}@x.no` }, rules),
      "INVALID_ATTRIBUTES"
    )
    assert.strictEqual(entryCheck({ ...base, feideId: "a\nb@uni.no" }, rules), "INVALID_ATTRIBUTES")
    assert.strictEqual(
      entryCheck(
        {
          ...base,
          entitledToAd: false,
          multiValued: { attribute: "idautoPersonSystem2ID", values: ["a@x.no", "b@x.no"] }
        },
        rules
      ),
      "INVALID_ATTRIBUTES"
    )
    assert.strictEqual(entryCheck({ ...base, entitledToAd: false }, rules), "NOT_ENTITLED_AD")
    assert.strictEqual(
      entryCheck({ ...base, businessRoles: ["iam:employee", "iam:external"] }, rules),
      "BUSINESS_ROLE_EXCEPTION"
    )
  })

  it("skips every entry sharing an employee id by numeric value, and only those passing 1–6", () => {
    const twin = { ...base, idautoId: "twin", payrollId: String(Number(base.payrollId)) }
    const disabledTwin = { ...base, idautoId: "off", disabled: true }
    const record = makeDfoRecord({ id: canonicalId(base.payrollId as string) })
    const outcomes = expectedOutcomes([base, twin, disabledTwin], () => record, rules)
    assert.deepStrictEqual(outcomes.get(base.idautoId), {
      outcome: "SKIPPED",
      reason: "DUPLICATE_EMPLOYEE_ID"
    })
    assert.deepStrictEqual(outcomes.get("twin"), {
      outcome: "SKIPPED",
      reason: "DUPLICATE_EMPLOYEE_ID"
    })
    assert.deepStrictEqual(outcomes.get("off"), { outcome: "SKIPPED", reason: "DISABLED" })
    const alone = expectedOutcomes([base, disabledTwin], () => undefined, rules)
    assert.deepStrictEqual(alone.get(base.idautoId), { outcome: "SKIPPED", reason: "NOT_IN_SAP" })
  })

  it("writes brukerident only where DFØ holds it null or blank; an absent key is kept", () => {
    const values = wanted(base)
    const inSync = { eksternIdent: values.eksternIdent?.toUpperCase(), epost: values.epost }
    const id = canonicalId(base.payrollId as string)
    assert.deepStrictEqual(plannedChange(base, { id, ...inSync, brukerident: null }, rules), {
      changes: { brukerident: base.payrollId as string },
      kept: []
    })
    assert.deepStrictEqual(
      plannedChange(base, { id, ...inSync, brukerident: "  " }, rules).changes,
      {
        brukerident: base.payrollId as string
      }
    )
    assert.deepStrictEqual(plannedChange(base, { id, ...inSync }, rules), {
      changes: {},
      kept: ["brukerident"]
    })
    assert.deepStrictEqual(plannedChange(base, { id, ...inSync, brukerident: "other" }, rules), {
      changes: {},
      kept: ["brukerident"]
    })
    assert.deepStrictEqual(
      plannedChange(
        base,
        { id, ...inSync, brukerident: null },
        { ...rules, writebackBrukerident: false }
      ),
      { changes: {}, kept: [] }
    )
  })
})

describe("checks of a finished run", () => {
  const population = Population.make({ count: 300, seed: 8, dfo: { staleEpost: 0.3 } })
  const outcomes = expectedOutcomes(population.people, population.dfoRecordOf, rules)
  const updated = population.people.filter((p) => outcomes.get(p.idautoId)?.outcome === "UPDATED")
  const skipped = population.people.find(
    (p) =>
      outcomes.get(p.idautoId)?.outcome === "SKIPPED" &&
      p.payrollId !== undefined &&
      population.dfoRecordOf(p) !== undefined
  ) as Person

  it("finds wrong writes from the request log, and the ids written", () => {
    const right = updated.map((person, seq) => {
      const change = outcomes.get(person.idautoId) as { changes: object }
      return {
        seq,
        method: "PUT",
        path: `/dfo/ansatte/v2/${person.payrollId}`,
        status: 200,
        body: change.changes
      }
    })
    assert.deepStrictEqual(wrongWrites(right, population, rules), [])
    assert.strictEqual(writtenIds(right).size, updated.length)
    const someone = updated[0] as Person
    const wrong = [
      {
        seq: 1,
        method: "PUT",
        path: `/x/${skipped.payrollId}`,
        status: 200,
        body: { epost: "a@b.no" }
      },
      {
        seq: 2,
        method: "PUT",
        path: `/x/${someone.payrollId}`,
        status: 200,
        body: { epost: "not@iam.no" }
      }
    ]
    const found = wrongWrites(wrong, population, rules)
    assert.strictEqual(found.length, 2)
    assert.match(found[0] ?? "", /should never be written/)
    assert.match(found[1] ?? "", /sets epost "not@iam.no"/)
  })

  it("lists people DFØ does not yet hold right, and none once their changes are applied", () => {
    const records = new Map(population.dfoRecords.map((r) => [r.id, r]))
    const lines = notConverged(population, (id) => records.get(id), rules)
    assert.isNotEmpty(updated)
    assert.deepStrictEqual(
      new Set(lines.map((line) => line.split(" ")[0])),
      new Set(updated.map((p) => p.payrollId))
    )
    for (const person of updated) {
      const before = population.dfoRecordOf(person)
      if (before === undefined) continue
      const change = outcomes.get(person.idautoId) as { changes: object }
      records.set(before.id, { ...before, ...change.changes })
    }
    assert.deepStrictEqual(
      notConverged(population, (id) => records.get(id), rules),
      []
    )
  })
})
