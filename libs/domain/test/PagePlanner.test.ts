import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  claimedEmployeeKeys,
  claimedKeys,
  type DfoEmployee,
  decidedUser,
  defaultMapping,
  diff,
  type EmployeeIndex,
  indexEmployees,
  type PageDecision,
  PagePlanner,
  type PortalUser,
  type WritebackRules
} from "../src/index.js"

/**
 * Ids from a small pool, so entries share employees (in several spellings, and malformed
 * ones that still claim them) often.
 */
const sapId = fc.constantFrom("1", "01", "00000001", "2", "002", "3", "12x", "1\t", "\u20282")
const mail = fc.option(fc.constantFrom("a@x.no", "A@X.no ", "b@x.no"), { nil: undefined })
const ident = fc.option(fc.constantFrom("00000001", "1", "kno"), { nil: undefined })

const aUser = fc.record({
  sapId: fc.option(sapId, { nil: undefined }),
  eksternIdent: mail,
  epost: mail,
  brukerident: ident,
  disabled: fc.boolean(),
  entitled: fc.boolean()
})

/** Entries with distinct idautoIDs, as the directory holds them. */
const someUsers = fc.array(aUser, { maxLength: 30 }).map((fields) =>
  fields.map(({ entitled, ...f }, i): PortalUser => ({
    dn: `idautoID=u${i},ou=Accounts`,
    idautoId: `u${i}`,
    ...Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)),
    disabled: f.disabled,
    deleted: false,
    entitlements: entitled ? ["Active Directory"] : [],
    businessRoles: [],
    multiValued: []
  }))
)

/** An employee as decoding builds one: no blank text, `hasBrukerident` when it holds one. */
const anEmployee = (id: string) =>
  fc
    .record(
      { eksternIdent: mail, epost: mail, brukerident: ident, hasBrukerident: fc.boolean() },
      { requiredKeys: ["hasBrukerident"] }
    )
    .map((e): DfoEmployee => ({
      id,
      ...Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)),
      hasBrukerident: e.hasBrukerident || e.brukerident !== undefined
    }))

/** DFØ's list, or none (no bulk list): some employees of the pool absent from it. */
const anIndex = fc.option(
  fc
    .tuple(
      fc.option(anEmployee("00000001")),
      fc.option(anEmployee("00000002")),
      fc.option(anEmployee("3"))
    )
    .map((employees) => indexEmployees(employees.filter((e) => e !== null))),
  { nil: undefined }
)

const someRules = fc.boolean().map((writebackBrukerident): WritebackRules => ({
  writebackBrukerident,
  businessRoleExceptions: []
}))

/** Page boundaries: cut points into the list of users. */
const someCuts = fc.array(fc.nat({ max: 30 }), { maxLength: 5 })

/** Pass 1 as the directory answers it: keys several entries claim. */
const claimedBySeveral = (users: ReadonlyArray<PortalUser>): ReadonlySet<string> => {
  const once = new Set<string>()
  const several = new Set<string>()
  for (const user of users) {
    for (const key of claimedEmployeeKeys(user.sapId ?? "")) {
      if (once.has(key)) several.add(key)
      else once.add(key)
    }
  }
  return several
}

const split = <A>(list: ReadonlyArray<A>, cuts: ReadonlyArray<number>) => {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < list.length))].sort((a, b) => a - b)
  const pages: Array<ReadonlyArray<A>> = []
  let from = 0
  for (const point of [...points, list.length]) {
    pages.push(list.slice(from, point))
    from = point
  }
  return pages
}

interface Planned {
  readonly pages: ReadonlyArray<ReadonlyArray<PageDecision>>
  readonly settled: ReadonlyArray<PageDecision>
  /** Every user's final decision: a held user's is its settled one. */
  readonly final: ReadonlyArray<PageDecision>
  readonly planner: PagePlanner
}

const planAll = (
  users: ReadonlyArray<PortalUser>,
  options: {
    readonly rules: WritebackRules
    readonly index: EmployeeIndex | undefined
    readonly cuts?: ReadonlyArray<number>
    readonly claimed?: ReadonlySet<string>
  }
): Planned => {
  const planner = new PagePlanner({
    rules: options.rules,
    mapping: defaultMapping,
    claimedBySeveral: options.claimed ?? claimedBySeveral(users)
  })
  const pages = split(users, options.cuts ?? []).map((page) => planner.page(page, options.index))
  const settled = planner.settleHeld(options.index)
  const final = [...pages.flat().filter((d) => d._tag !== "Held"), ...settled]
  return { pages, settled, final, planner }
}

/** A decision as text, for comparing two plannings. */
const show = (d: PageDecision) =>
  [
    d._tag,
    decidedUser(d).idautoId,
    d._tag === "Duplicate" ? d.others.join(",") : "",
    d._tag === "Change" || d._tag === "Unchanged" ? JSON.stringify(d.changeSet) : ""
  ].join("|")

/** Claims per employee key: candidates, and entries stopped only by a malformed id. */
const candidatesByKey = (final: ReadonlyArray<PageDecision>, rules: WritebackRules) => {
  const byKey = new Map<string, number>()
  for (const d of final) {
    const keys =
      d._tag === "Ineligible" ? claimedKeys(d.user, rules, defaultMapping) : [d.candidate.key]
    for (const key of keys) byKey.set(key, (byKey.get(key) ?? 0) + 1)
  }
  return byKey
}

/**
 * Check 6a's verdict for each entry, as a run reports it: a planning's final decision,
 * except that a candidate claimed again later (`claimedLater`) is a duplicate naming
 * every other claimant; by idautoID, the others sorted.
 */
const verdicts = (planned: Planned): ReadonlyMap<string | undefined, string> =>
  new Map(
    planned.final.map((d) => {
      const id = decidedUser(d).idautoId
      if (d._tag === "Ineligible") return [id, show(d)]
      const others =
        planned.planner.claimedLater(d.candidate) ?? (d._tag === "Duplicate" ? d.others : undefined)
      return [
        id,
        others === undefined ? show(d) : `Duplicate|${id}|${[...others].sort().join(",")}`
      ]
    })
  )

/** An eligible entry claiming employee 1, unless `fields` say otherwise. */
const user = (i: number, fields: Partial<PortalUser> = {}): PortalUser => ({
  dn: `idautoID=u${i}`,
  idautoId: `u${i}`,
  sapId: "00000001",
  eksternIdent: "a@x.no",
  epost: "a@x.no",
  disabled: false,
  deleted: false,
  entitlements: ["Active Directory"],
  businessRoles: [],
  multiValued: [],
  ...fields
})

describe("PagePlanner (CONTRACT §4 checks 1–8 without I/O)", () => {
  it.prop(
    "every user of a page is decided exactly once, in order; a held user once more",
    [someUsers, anIndex, someRules, someCuts],
    ([users, index, rules, cuts]) => {
      const { pages, settled } = planAll(users, { rules, index, cuts })
      const pageUsers = split(users, cuts)
      assert.strictEqual(pages.length, pageUsers.length)
      pages.forEach((decisions, p) =>
        assert.deepStrictEqual(decisions.map(decidedUser), pageUsers[p])
      )
      const held = pages.flat().filter((d) => d._tag === "Held")
      assert.sameMembers(settled.map(decidedUser), held.map(decidedUser))
      assert.strictEqual(settled.length, held.length)
      assert.isFalse(settled.some((d) => d._tag === "Held"))
    }
  )

  it.prop(
    "no change is planned for an id several candidates claim",
    [someUsers, anIndex, someRules],
    ([users, index, rules]) => {
      const { final } = planAll(users, { rules, index })
      const claims = candidatesByKey(final, rules)
      for (const d of final) {
        if (d._tag === "Ineligible") continue
        if ((claims.get(d.candidate.key) ?? 0) > 1) assert.strictEqual(d._tag, "Duplicate")
      }
    }
  )

  it.prop(
    "when pass 1 missed a claim, every decided entry of a claimed id is flagged before its write",
    [someUsers, anIndex, someRules, someCuts],
    ([users, index, rules, cuts]) => {
      const { final, planner } = planAll(users, { rules, index, cuts, claimed: new Set() })
      const claims = candidatesByKey(final, rules)
      for (const d of final) {
        if (d._tag === "Ineligible" || d._tag === "Duplicate") continue
        if ((claims.get(d.candidate.key) ?? 0) > 1) {
          assert.isNotEmpty(planner.claimedLater(d.candidate) ?? [])
        } else {
          assert.isUndefined(planner.claimedLater(d.candidate))
        }
      }
    }
  )

  it.prop(
    "a planned change writes brukerident only when the list holds it empty",
    [someUsers, anIndex, someRules],
    ([users, index, rules]) => {
      for (const d of planAll(users, { rules, index }).final) {
        if (d._tag !== "Change" || d.changeSet.patch.brukerident === undefined) continue
        assert.isTrue(rules.writebackBrukerident)
        assert.isTrue(d.employee.hasBrukerident)
        assert.isUndefined(d.employee.brukerident)
      }
    }
  )

  it.prop(
    "UNCHANGED exactly when the diff is empty; Read exactly when the list lacks the id",
    [someUsers, anIndex, someRules],
    ([users, index, rules]) => {
      for (const d of planAll(users, { rules, index }).final) {
        if (d._tag === "Ineligible" || d._tag === "Duplicate") continue
        const employee = index?.get(d.candidate.key)
        if (d._tag === "Read") {
          assert.isUndefined(employee)
          continue
        }
        assert.isDefined(employee)
        if (employee === undefined) continue
        const changes = diff(d.candidate.record, employee).changes
        assert.strictEqual(d._tag === "Unchanged", changes.length === 0)
        assert.strictEqual(d._tag === "Change", changes.length > 0)
      }
    }
  )

  it.prop(
    "the decisions do not depend on where the pages split",
    [someUsers, anIndex, someRules, someCuts],
    ([users, index, rules, cuts]) => {
      const whole = planAll(users, { rules, index })
      const paged = planAll(users, { rules, index, cuts })
      assert.deepStrictEqual(whole.pages.flat().map(show), paged.pages.flat().map(show))
      assert.deepStrictEqual(whole.settled.map(show), paged.settled.map(show))
    }
  )

  it.prop(
    "one pass reaches the verdicts of two: the same decision for every entry, duplicates naming the same others",
    [someUsers, anIndex, someRules, someCuts],
    ([users, index, rules, cuts]) => {
      const two = verdicts(planAll(users, { rules, index }))
      const one = verdicts(planAll(users, { rules, index, cuts, claimed: new Set() }))
      assert.deepStrictEqual(one, two)
    }
  )

  it.prop(
    "one pass, each entry on its own page: every claimant of an id claimed several times (a malformed id claiming its digits) is a duplicate naming all the others",
    [someUsers, anIndex, someRules],
    ([users, index, rules]) => {
      const cuts = users.map((_, i) => i)
      const planned = planAll(users, { rules, index, cuts, claimed: new Set() })
      const claims = candidatesByKey(planned.final, rules)
      const byId = verdicts(planned)
      for (const d of planned.final) {
        if (d._tag === "Ineligible") continue
        const count = claims.get(d.candidate.key) ?? 0
        const verdict = byId.get(d.candidate.user.idautoId) ?? ""
        if (count > 1) {
          assert.match(verdict, /^Duplicate\|/)
          assert.strictEqual(verdict.split("|")[2]?.split(",").length, count - 1)
        } else assert.notMatch(verdict, /^Duplicate\|/)
      }
    }
  )

  it("one pass: claimants pages apart are duplicates, the first one naming every later one", () => {
    const rules = { writebackBrukerident: false, businessRoleExceptions: [] }
    const users = [
      user(0),
      user(1, { sapId: "2" }),
      user(2, { sapId: "001" }),
      user(3, { sapId: "3" }),
      user(4, { sapId: "1 x", disabled: false })
    ]
    const planned = planAll(users, {
      rules,
      index: undefined,
      cuts: [1, 2, 3, 4],
      claimed: new Set()
    })
    assert.deepStrictEqual(
      planned.pages.flat().map((d) => d._tag),
      ["Read", "Read", "Duplicate", "Read", "Ineligible"]
    )
    const byId = verdicts(planned)
    assert.strictEqual(byId.get("u0"), "Duplicate|u0|u2,u4")
    assert.strictEqual(byId.get("u2"), "Duplicate|u2|u0,u4")
    assert.strictEqual(byId.get("u1"), "Read|u1||")
  })

  it("an id claimed by two eligible entries and one skipped one: both candidates are duplicates", () => {
    const users = [user(0), user(1, { sapId: "1" }), user(2, { disabled: true })]
    const { pages, settled } = planAll(users, {
      rules: { writebackBrukerident: false, businessRoleExceptions: [] },
      index: undefined
    })
    assert.deepStrictEqual(
      pages.flat().map((d) => d._tag),
      ["Held", "Held", "Ineligible"]
    )
    assert.deepStrictEqual(
      settled.map((d) => (d._tag === "Duplicate" ? d.others : [])),
      [["u1"], ["u0"]]
    )
  })

  it("an entry whose id holds the same digits and a TAB stops the well-formed one, in either order, seen by pass 1 or not", () => {
    const rules = { writebackBrukerident: false, businessRoleExceptions: [] }
    const orders = [
      [user(0), user(1, { sapId: "1\t" })],
      [user(1, { sapId: "1\t" }), user(0)]
    ]
    for (const users of orders) {
      for (const claimed of [undefined, new Set<string>()]) {
        const { final, planner } = planAll(users, {
          rules,
          index: undefined,
          ...(claimed === undefined ? {} : { claimed })
        })
        const byId = new Map(final.map((d) => [decidedUser(d).idautoId, d]))
        const malformed = byId.get("u1")
        assert(malformed?._tag === "Ineligible")
        assert.strictEqual(malformed.ineligible.reason, "INVALID_ATTRIBUTES")
        const wellFormed = byId.get("u0")
        assert(wellFormed !== undefined && wellFormed._tag !== "Ineligible")
        // Decided a duplicate, or (claimed after it was planned) stopped before its write.
        const others =
          wellFormed._tag === "Duplicate"
            ? wellFormed.others
            : planner.claimedLater(wellFormed.candidate)
        assert.deepStrictEqual(
          others,
          ["u1"],
          `${wellFormed._tag}, pass 1 ${claimed ? "blind" : "saw it"}`
        )
      }
    }
  })
})
