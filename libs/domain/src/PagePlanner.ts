import { Either } from "effect"
import type { AttributeMapping } from "./AttributeMapping.js"
import { type ChangeSet, diff, isUnchanged } from "./ChangeSet.js"
import { type DfoEmployee, employeeKey } from "./DfoEmployee.js"
import { checkEligibility, claimedKeys, type Eligible, type Ineligible } from "./Eligibility.js"
import type { EmployeeIndex } from "./EmployeeIndex.js"
import type { PortalUser } from "./PortalUser.js"
import type { WritebackRules } from "./WritebackRules.js"

/** A user that passed checks 1–6, with the values to write and its employee key. */
export interface Candidate extends Eligible {
  readonly user: PortalUser
  /** The employee id's numeric value as text: two ids are one employee when keys match. */
  readonly key: string
}

/**
 * What planning decided for one directory entry (CONTRACT §4, checks 1–8 without I/O):
 * - `Ineligible`: stopped by checks 1–6;
 * - `Duplicate`: another candidate claims its employee id (check 6a);
 * - `Unchanged`: DFØ's list already holds every value;
 * - `Change`: DFØ's list differs, the planned change with before/after and kept fields;
 * - `Read`: DFØ's list does not answer for it (absent, or no list): read on its own;
 * - `Held`: several entries claim its id; decided by `settleHeld` once every page is read.
 */
export type PageDecision =
  | {
      readonly _tag: "Ineligible"
      readonly user: PortalUser
      readonly ineligible: Ineligible
    }
  | {
      readonly _tag: "Duplicate"
      readonly candidate: Candidate
      readonly others: ReadonlyArray<string>
    }
  | {
      readonly _tag: "Unchanged"
      readonly candidate: Candidate
      readonly changeSet: ChangeSet
    }
  | {
      readonly _tag: "Change"
      readonly candidate: Candidate
      readonly employee: DfoEmployee
      readonly changeSet: ChangeSet
    }
  | { readonly _tag: "Read"; readonly candidate: Candidate }
  | { readonly _tag: "Held"; readonly candidate: Candidate }

/** What step 8 decides for a candidate DFØ answered for. */
export type Compared = Extract<PageDecision, { readonly _tag: "Unchanged" | "Change" }>

/** The entry a decision is about. */
export const decidedUser = (decision: PageDecision): PortalUser =>
  decision._tag === "Ineligible" ? decision.user : decision.candidate.user

/** How an entry names itself to other entries' messages. */
const nameOf = (user: Claimant["user"]) => user.idautoId ?? user.dn ?? ""

/** Checks 1–6 for one entry, keeping its employee key. */
export const candidateOf = (
  user: PortalUser,
  rules: WritebackRules,
  mapping: AttributeMapping
): Either.Either<Candidate, Ineligible> =>
  Either.map(checkEligibility(user, rules, mapping), (eligible) => ({
    ...eligible,
    user,
    key: employeeKey(eligible.sapId)
  }))

/** Step 8 against an employee DFØ's list holds. */
export const compare = (candidate: Candidate, employee: DfoEmployee): Compared => {
  const changeSet = diff(candidate.record, employee)
  return isUnchanged(changeSet)
    ? { _tag: "Unchanged", candidate, changeSet }
    : { _tag: "Change", candidate, employee, changeSet }
}

/** What a planner needs besides the pages. */
export interface PlannerSettings {
  readonly rules: WritebackRules
  readonly mapping: AttributeMapping
  /**
   * Employee keys pass 1 found claimed by several entries (CONTRACT §4 check 6a); empty
   * in a run of one pass, which learns of a second claim only when it comes.
   */
  readonly claimedBySeveral: ReadonlySet<string>
}

/**
 * A decided candidate as `claimedLater` reads it: its key and its name (a candidate
 * always has an idautoID: check 3), from its entry or its result.
 */
export interface Claimant {
  readonly key: string
  readonly user: { readonly idautoId?: string | undefined; readonly dn?: string | undefined }
}

/**
 * Decides a full run one page at a time, with no effect and no I/O. Its only state is
 * what check 6a must remember across pages: the key of every candidate decided so far,
 * the keys claimed again after they were first decided, and the held candidates of ids
 * pass 1 found claimed by several entries. The decisions do not depend on where the
 * pages split.
 *
 * Without pass 1 (one pass) every candidate is decided as it comes: a later claimant of
 * a decided key is a `Duplicate` at once, and once every page is read, `claimedLater`
 * is check 6a's verdict for the first claimant, naming every other one.
 */
export class PagePlanner {
  /** The name of each candidate decided so far, by employee key. */
  private readonly seen = new Map<string, string>()
  /** Keys a later entry claimed again, with every claimant in order: never written. */
  private readonly lateClaims = new Map<string, Array<string>>()
  private held: Array<Candidate> = []
  /** Names of entries that claim a held key without being candidates (a malformed id). */
  private heldClaims = new Map<string, Array<string>>()

  constructor(private readonly settings: PlannerSettings) {}

  /** One decision per entry of `page`, in its order. */
  page(page: Iterable<PortalUser>, index: EmployeeIndex | undefined): Array<PageDecision> {
    const decisions: Array<PageDecision> = []
    for (const user of page) {
      const candidate = candidateOf(user, this.settings.rules, this.settings.mapping)
      if (Either.isLeft(candidate)) {
        decisions.push({ _tag: "Ineligible", user, ineligible: candidate.left })
        for (const key of claimedKeys(user, this.settings.rules, this.settings.mapping)) {
          this.claimOnly(key, nameOf(user))
        }
      } else if (this.settings.claimedBySeveral.has(candidate.right.key)) {
        this.held.push(candidate.right)
        decisions.push({ _tag: "Held", candidate: candidate.right })
      } else {
        decisions.push(this.claim(candidate.right, index))
      }
    }
    return decisions
  }

  /**
   * The held candidates, once the directory has been read: those whose id several
   * candidates claim are all duplicates, a lone one is decided as any other.
   */
  settleHeld(index: EmployeeIndex | undefined): Array<PageDecision> {
    const byKey = new Map<string, Array<Candidate>>()
    for (const candidate of this.held) {
      const group = byKey.get(candidate.key) ?? []
      group.push(candidate)
      byKey.set(candidate.key, group)
    }
    const claims = this.heldClaims
    this.held = []
    this.heldClaims = new Map()
    const decisions: Array<PageDecision> = []
    for (const [key, group] of byKey) {
      const [first] = group
      if (first === undefined) continue
      const claimants = claims.get(key) ?? []
      if (group.length === 1 && claimants.length === 0) {
        decisions.push(this.claim(first, index))
        continue
      }
      for (const candidate of group) {
        const others = group.filter((other) => other !== candidate).map((o) => nameOf(o.user))
        decisions.push({ _tag: "Duplicate", candidate, others: [...others, ...claimants] })
      }
    }
    return decisions
  }

  /**
   * Every other entry that claims this candidate's id, when one claimed it after the
   * candidate was first decided (one pass; or the directory changed between passes), or
   * `undefined`: its write must not go then, and it is a duplicate.
   */
  claimedLater(candidate: Claimant): ReadonlyArray<string> | undefined {
    const claims = this.lateClaims.get(candidate.key)
    if (claims === undefined) return undefined
    const self = nameOf(candidate.user)
    return claims.filter((name) => name !== self)
  }

  /**
   * An entry that claims `key` but is no candidate (`claimedKeys`): it stops every
   * candidate of that key, before or after it, from being written.
   */
  private claimOnly(key: string, name: string): void {
    if (this.settings.claimedBySeveral.has(key)) {
      const claims = this.heldClaims.get(key) ?? []
      claims.push(name)
      this.heldClaims.set(key, claims)
      return
    }
    const first = this.seen.get(key)
    if (first === undefined) this.seen.set(key, name)
    else this.lateClaims.set(key, [...(this.lateClaims.get(key) ?? [first]), name])
  }

  /** Check 6a against the candidates seen so far, then step 8 against the list. */
  private claim(candidate: Candidate, index: EmployeeIndex | undefined): PageDecision {
    const name = nameOf(candidate.user)
    const first = this.seen.get(candidate.key)
    if (first !== undefined) {
      const claims = this.lateClaims.get(candidate.key) ?? [first]
      claims.push(name)
      this.lateClaims.set(candidate.key, claims)
      return { _tag: "Duplicate", candidate, others: claims.filter((c) => c !== name) }
    }
    this.seen.set(candidate.key, name)
    const employee = index?.get(candidate.key)
    return employee === undefined ? { _tag: "Read", candidate } : compare(candidate, employee)
  }
}
