// The people the relevant-events scenario changes: each must come to exactly one write of
// `epost` once their work e-mail changes, or the scenario's PUTs would not be one per event.
import { expectedOutcomes, Population } from "@dfo-writeback/population"
import { assert, describe, it } from "@effect/vitest"
import { benchEmail, changeable } from "../src/scenarios/EventsRelevant.js"

const rules = { writebackBrukerident: false, businessRoleExceptions: [] }

describe("changeable", () => {
  it("picks people whose changed work e-mail is one write of epost, and nothing else", () => {
    const chosen = changeable(600, 1)
    assert.isAbove(chosen.length, 400)
    const ids = new Set(chosen.map((p) => p.idautoId))
    const population = Population.make({
      count: 600,
      seed: 1,
      dfo: { staleEpost: 0, empty: 0, otherBrukerident: 0, absent: 0 }
    })
    const changed = population.people.map((p) =>
      ids.has(p.idautoId) ? { ...p, workEmail: benchEmail(p) } : p
    )
    const outcomes = expectedOutcomes(changed, population.dfoRecordOf, rules)
    for (const person of chosen) {
      assert.deepStrictEqual(outcomes.get(person.idautoId), {
        outcome: "UPDATED",
        changes: { epost: benchEmail(person) },
        kept: []
      })
    }
  })
})
