import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import {
  checkEligibility,
  decodePortalUser,
  defaultMapping,
  type LdapEntry,
  type SkipReason,
  type WritebackRecord,
  type WritebackRules
} from "../src/index.js"

const rules: WritebackRules = { writebackBrukerident: false, businessRoleExceptions: ["iam:guest"] }
const withBrukerident: WritebackRules = { ...rules, writebackBrukerident: true }

const base: LdapEntry = {
  dn: "idautoID=11111111-2222-3333-4444-555555555555,ou=Accounts,dc=meta",
  idautoID: "11111111-2222-3333-4444-555555555555",
  idautoPersonPayrollID: "00102099",
  idautoPersonSystem5ID: "kari@uni.no",
  idautoPersonSystem2ID: "kari.nordmann@uni.no",
  idautoPersonSystem1ID: "kno001",
  idautoPersonSAMAccountName: "kno001uh",
  mail: "kari@mail.uni.no",
  idautoPersonAppRoles2: ["Active Directory", "Office 365"],
  idautoPersonAppRoles10: ["iam:employee"]
}

const entry = (overrides: Record<string, string | ReadonlyArray<string> | undefined>) => {
  const next: Record<string, string | ReadonlyArray<string>> = { ...base }
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete next[name]
    else next[name] = value
  }
  return next as LdapEntry
}

const check = (e: LdapEntry, r: WritebackRules = rules) =>
  checkEligibility(decodePortalUser(defaultMapping)(e), r, defaultMapping)

const skipCases: ReadonlyArray<{
  readonly name: string
  readonly entry: LdapEntry
  readonly rules?: WritebackRules
  readonly reason: SkipReason
  readonly message?: RegExp
}> = [
  { name: "deleted", entry: entry({ idautoPersonExtBool3: "TRUE" }), reason: "DELETED" },
  {
    name: "deleted, lower case",
    entry: entry({ idautoPersonExtBool3: "true" }),
    reason: "DELETED"
  },
  {
    name: "deleted wins over disabled and missing attributes",
    entry: entry({ idautoPersonExtBool3: "TRUE", idautoDisabled: "TRUE", idautoID: undefined }),
    reason: "DELETED"
  },
  { name: "disabled", entry: entry({ idautoDisabled: "True" }), reason: "DISABLED" },
  {
    name: "disabled wins over missing attributes",
    entry: entry({ idautoDisabled: "TRUE", idautoPersonPayrollID: undefined }),
    reason: "DISABLED"
  },
  {
    name: "missing idautoID",
    entry: entry({ idautoID: undefined }),
    reason: "MISSING_ATTRIBUTES",
    message: /idautoID/
  },
  {
    name: "missing employee id",
    entry: entry({ idautoPersonPayrollID: undefined }),
    reason: "MISSING_ATTRIBUTES",
    message: /idautoPersonPayrollID/
  },
  {
    name: "blank employee id counts as missing",
    entry: entry({ idautoPersonPayrollID: "   " }),
    reason: "MISSING_ATTRIBUTES"
  },
  {
    name: "missing both eksternIdent sources",
    entry: entry({ idautoPersonSystem5ID: undefined, mail: undefined }),
    reason: "MISSING_ATTRIBUTES",
    message: /idautoPersonSystem5ID or mail/
  },
  {
    name: "missing both epost sources",
    entry: entry({
      idautoPersonSystem2ID: undefined,
      mail: undefined,
      idautoPersonSystem5ID: "x@uni.no"
    }),
    reason: "MISSING_ATTRIBUTES",
    message: /idautoPersonSystem2ID or mail/
  },
  {
    name: "missing username sources when brukerident writeback is on",
    entry: entry({ idautoPersonSystem1ID: undefined, idautoPersonSAMAccountName: undefined }),
    rules: withBrukerident,
    reason: "MISSING_ATTRIBUTES",
    message: /idautoPersonSystem1ID or idautoPersonSAMAccountName/
  },
  {
    name: "several missing are all named",
    entry: entry({ idautoID: undefined, idautoPersonPayrollID: undefined }),
    reason: "MISSING_ATTRIBUTES",
    message: /idautoID, idautoPersonPayrollID/
  },
  {
    name: "missing wins over invalid",
    entry: entry({ idautoID: undefined, idautoPersonPayrollID: "abc" }),
    reason: "MISSING_ATTRIBUTES"
  },
  {
    name: "employee id with letters",
    entry: entry({ idautoPersonPayrollID: "0010A099" }),
    reason: "INVALID_ATTRIBUTES",
    message: /0010A099/
  },
  {
    name: "employee id of 13 digits",
    entry: entry({ idautoPersonPayrollID: "1234567890123" }),
    reason: "INVALID_ATTRIBUTES"
  },
  {
    name: "employee id with a path",
    entry: entry({ idautoPersonPayrollID: "../001" }),
    reason: "INVALID_ATTRIBUTES"
  },
  {
    name: "invalid wins over not entitled",
    entry: entry({ idautoPersonPayrollID: "x", idautoPersonAppRoles2: undefined }),
    reason: "INVALID_ATTRIBUTES"
  },
  {
    name: "no entitlements",
    entry: entry({ idautoPersonAppRoles2: undefined }),
    reason: "NOT_ENTITLED_AD"
  },
  {
    name: "other entitlements only",
    entry: entry({ idautoPersonAppRoles2: ["Office 365"], idautoPersonAppRoles6: "VPN" }),
    reason: "NOT_ENTITLED_AD"
  },
  {
    name: "not entitled wins over a business role exception",
    entry: entry({ idautoPersonAppRoles2: undefined, idautoPersonAppRoles10: "iam:guest" }),
    reason: "NOT_ENTITLED_AD"
  },
  {
    name: "business role exception, any case",
    entry: entry({ idautoPersonAppRoles10: ["iam:employee", "IAM:Guest"] }),
    reason: "BUSINESS_ROLE_EXCEPTION",
    message: /IAM:Guest/
  }
]

describe("checkEligibility (CONTRACT §4 steps 1–6)", () => {
  for (const c of skipCases) {
    it(`skips: ${c.name} → ${c.reason}`, () => {
      const result = check(c.entry, c.rules)
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left.reason, c.reason)
        if (c.message) assert.match(result.left.message, c.message)
      }
    })
  }

  it("builds the writeback record from the first sources", () => {
    assert.deepStrictEqual(
      check(base),
      Either.right({
        sapId: "00102099",
        record: { eksternIdent: "kari@uni.no", epost: "kari.nordmann@uni.no" }
      })
    )
  })

  it("falls back to mail for eksternIdent and epost", () => {
    const result = check(entry({ idautoPersonSystem5ID: undefined, idautoPersonSystem2ID: " " }))
    assert.deepStrictEqual(
      Either.map(result, (e) => e.record),
      Either.right<WritebackRecord>({ eksternIdent: "kari@mail.uni.no", epost: "kari@mail.uni.no" })
    )
  })

  it("adds brukerident only when its writeback is on, falling back to the UH username", () => {
    assert.deepStrictEqual(
      Either.map(check(base, withBrukerident), (e) => e.record.brukerident),
      Either.right("kno001")
    )
    assert.deepStrictEqual(
      Either.map(
        check(entry({ idautoPersonSystem1ID: undefined }), withBrukerident),
        (e) => e.record.brukerident
      ),
      Either.right("kno001uh")
    )
    assert.deepStrictEqual(
      Either.map(
        check(entry({ idautoPersonSystem1ID: undefined, idautoPersonSAMAccountName: undefined })),
        (e) => e.record
      ),
      Either.right<WritebackRecord>({ eksternIdent: "kari@uni.no", epost: "kari.nordmann@uni.no" })
    )
  })

  it("accepts the entitlement from requested entitlements (AppRoles6), any case", () => {
    assert.isTrue(
      Either.isRight(
        check(
          entry({ idautoPersonAppRoles2: undefined, idautoPersonAppRoles6: "ACTIVE DIRECTORY" })
        )
      )
    )
  })

  it("accepts employee ids of 1 and 12 digits", () => {
    assert.isTrue(Either.isRight(check(entry({ idautoPersonPayrollID: "7" }))))
    assert.isTrue(Either.isRight(check(entry({ idautoPersonPayrollID: "123456789012" }))))
  })
})
