import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import {
  AttributeMapping,
  checkEligibility,
  decodePortalUser,
  defaultMapping,
  fieldLimits,
  type DfoField,
  type LdapEntry,
  type SkipReason,
  type WritebackRecord,
  type WritebackRules
} from "../src/index.js"

const rules: WritebackRules = { writebackBrukerident: false, businessRoleExceptions: ["iam:guest"] }
const withBrukerident: WritebackRules = { ...rules, writebackBrukerident: true }

/** A mapping whose brukerident is not the employee id, so its own limits can be met. */
const usernameAsBrukerident = AttributeMapping.make({
  ...defaultMapping,
  brukerident: ["idautoPersonSystem1ID"]
})

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

const check = (e: LdapEntry, r: WritebackRules = rules, mapping = defaultMapping) =>
  checkEligibility(decodePortalUser(mapping)(e), r, mapping)

const a = (n: number) => "a".repeat(n)
/** An address of exactly `n` characters. */
const address = (n: number) => `${a(n - "@uni.no".length)}@uni.no`

const skipCases: ReadonlyArray<{
  readonly name: string
  readonly entry: LdapEntry
  readonly rules?: WritebackRules
  readonly mapping?: AttributeMapping
  readonly reason: SkipReason
  readonly message?: RegExp
  readonly exactly?: string
  readonly notMessage?: RegExp
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
    exactly: "missing idautoPersonPayrollID"
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
    name: "missing epost source: mail is no fallback",
    entry: entry({ idautoPersonSystem2ID: undefined }),
    reason: "MISSING_ATTRIBUTES",
    exactly: "missing idautoPersonSystem2ID"
  },
  {
    name: "blank epost source with mail present",
    entry: entry({ idautoPersonSystem2ID: " ", mail: "kari@uni.no" }),
    reason: "MISSING_ATTRIBUTES",
    message: /idautoPersonSystem2ID/,
    notMessage: /mail/
  },
  {
    name: "missing employee number with brukerident writeback on: named once",
    entry: entry({ idautoPersonPayrollID: undefined }),
    rules: withBrukerident,
    reason: "MISSING_ATTRIBUTES",
    exactly: "missing idautoPersonPayrollID"
  },
  {
    name: "missing brukerident source of another mapping when its writeback is on",
    entry: entry({ idautoPersonSystem1ID: undefined }),
    rules: withBrukerident,
    mapping: usernameAsBrukerident,
    reason: "MISSING_ATTRIBUTES",
    exactly: "missing idautoPersonSystem1ID"
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
    name: "missing wins over multi-valued",
    entry: entry({ idautoID: undefined, idautoPersonPayrollID: ["1", "2"] }),
    reason: "MISSING_ATTRIBUTES"
  },
  {
    name: "employee id with letters",
    entry: entry({ idautoPersonPayrollID: "0010A099" }),
    reason: "INVALID_ATTRIBUTES",
    message: /"0010A099" \(idautoPersonPayrollID\) is not 1–8 digits/
  },
  {
    name: "employee id of 9 digits",
    entry: entry({ idautoPersonPayrollID: "123456789" }),
    reason: "INVALID_ATTRIBUTES",
    message: /not 1–8 digits/
  },
  {
    name: "employee id of 9 digits, leading zero",
    entry: entry({ idautoPersonPayrollID: "001020990" }),
    reason: "INVALID_ATTRIBUTES",
    message: /not 1–8 digits/
  },
  {
    name: "employee id of 12 digits",
    entry: entry({ idautoPersonPayrollID: "123456789012" }),
    reason: "INVALID_ATTRIBUTES",
    message: /not 1–8 digits/
  },
  {
    name: "employee id with a path",
    entry: entry({ idautoPersonPayrollID: "../001" }),
    reason: "INVALID_ATTRIBUTES"
  },
  {
    name: "a long employee id is clipped in the message",
    entry: entry({ idautoPersonPayrollID: "9".repeat(500) }),
    reason: "INVALID_ATTRIBUTES",
    message: /"9{40}…"/
  },
  {
    name: "multi-valued employee id",
    entry: entry({ idautoPersonPayrollID: ["00102099", "00102100"] }),
    reason: "INVALID_ATTRIBUTES",
    message: /idautoPersonPayrollID has 2 values \(the employee id\)/
  },
  {
    name: "multi-valued employee id, one value padded (still two values)",
    entry: entry({ idautoPersonPayrollID: ["102099", "00102099"] }),
    reason: "INVALID_ATTRIBUTES",
    message: /idautoPersonPayrollID has 2 values/
  },
  {
    name: "multi-valued eksternIdent source",
    entry: entry({ idautoPersonSystem5ID: ["kari@uni.no", "ola@uni.no", "per@uni.no"] }),
    reason: "INVALID_ATTRIBUTES",
    message: /idautoPersonSystem5ID has 3 values \(eksternIdent\)/
  },
  {
    name: "multi-valued eksternIdent fallback when it is the chosen source",
    entry: entry({ idautoPersonSystem5ID: undefined, mail: ["kari@uni.no", "k@uni.no"] }),
    reason: "INVALID_ATTRIBUTES",
    message: /mail has 2 values \(eksternIdent\)/
  },
  {
    name: "multi-valued epost source",
    entry: entry({ idautoPersonSystem2ID: ["kari@uni.no", "kari.nordmann@uni.no"] }),
    reason: "INVALID_ATTRIBUTES",
    message: /idautoPersonSystem2ID has 2 values \(epost\)/
  },
  {
    name: "multi-valued brukerident source when its writeback is on",
    entry: entry({ idautoPersonSystem1ID: ["kno001", "kno002"] }),
    rules: withBrukerident,
    mapping: usernameAsBrukerident,
    reason: "INVALID_ATTRIBUTES",
    message: /idautoPersonSystem1ID has 2 values \(brukerident\)/
  },
  {
    name: "eksternIdent over 241 characters",
    entry: entry({ idautoPersonSystem5ID: address(242) }),
    reason: "INVALID_ATTRIBUTES",
    exactly:
      "eksternIdent (idautoPersonSystem5ID or mail) is 242 characters; DFØ allows at most 241"
  },
  {
    name: "epost over 241 characters",
    entry: entry({ idautoPersonSystem2ID: address(300) }),
    reason: "INVALID_ATTRIBUTES",
    exactly: "epost (idautoPersonSystem2ID) is 300 characters; DFØ allows at most 241"
  },
  {
    name: "brukerident over 8 characters (DFØ's read model) when its writeback is on",
    entry: entry({ idautoPersonSystem1ID: "kno001001" }),
    rules: withBrukerident,
    mapping: usernameAsBrukerident,
    reason: "INVALID_ATTRIBUTES",
    exactly: "brukerident (idautoPersonSystem1ID) is 9 characters; DFØ allows at most 8"
  },
  {
    name: "a 9-digit employee number as brukerident: both problems named (9 > 8)",
    entry: entry({ idautoPersonPayrollID: "123456789" }),
    rules: withBrukerident,
    reason: "INVALID_ATTRIBUTES",
    exactly:
      'employee id "123456789" (idautoPersonPayrollID) is not 1–8 digits; ' +
      "brukerident (idautoPersonPayrollID) is 9 characters; DFØ allows at most 8"
  },
  {
    name: "an 11-digit employee number as brukerident: both problems named",
    entry: entry({ idautoPersonPayrollID: "12345678901" }),
    rules: withBrukerident,
    reason: "INVALID_ATTRIBUTES",
    exactly:
      'employee id "12345678901" (idautoPersonPayrollID) is not 1–8 digits; ' +
      "brukerident (idautoPersonPayrollID) is 11 characters; DFØ allows at most 8"
  },
  {
    name: "control character (tab) inside epost",
    entry: entry({ idautoPersonSystem2ID: "kari\t@uni.no" }),
    reason: "INVALID_ATTRIBUTES",
    exactly: "epost (idautoPersonSystem2ID) holds a control character"
  },
  {
    name: "control character (NUL) inside eksternIdent",
    entry: entry({ idautoPersonSystem5ID: "kari\u0000@uni.no" }),
    reason: "INVALID_ATTRIBUTES",
    exactly: "eksternIdent (idautoPersonSystem5ID or mail) holds a control character"
  },
  {
    name: "control character (DEL) inside epost",
    entry: entry({ idautoPersonSystem2ID: "kari\u007f@uni.no" }),
    reason: "INVALID_ATTRIBUTES",
    message: /epost .*control character/
  },
  {
    name: "C1 control character (NEL) inside epost",
    entry: entry({ idautoPersonSystem2ID: "kari\u0085@uni.no" }),
    reason: "INVALID_ATTRIBUTES",
    message: /epost .*control character/
  },
  {
    name: "control character (ESC) inside brukerident when its writeback is on",
    entry: entry({ idautoPersonSystem1ID: "kno\u001b001" }),
    rules: withBrukerident,
    mapping: usernameAsBrukerident,
    reason: "INVALID_ATTRIBUTES",
    exactly: "brukerident (idautoPersonSystem1ID) holds a control character"
  },
  {
    name: "every problem is named in one message",
    entry: entry({
      idautoPersonPayrollID: "x1",
      idautoPersonSystem5ID: "kari\n@uni.no",
      idautoPersonSystem2ID: [address(250), "other@uni.no"]
    }),
    reason: "INVALID_ATTRIBUTES",
    exactly: [
      "idautoPersonSystem2ID has 2 values (epost); LDAP does not order values, so none is chosen",
      'employee id "x1" (idautoPersonPayrollID) is not 1–8 digits',
      "eksternIdent (idautoPersonSystem5ID or mail) holds a control character",
      "epost (idautoPersonSystem2ID) is 250 characters; DFØ allows at most 241"
    ].join("; ")
  },
  {
    name: "invalid wins over not entitled",
    entry: entry({ idautoPersonPayrollID: "x", idautoPersonAppRoles2: undefined }),
    reason: "INVALID_ATTRIBUTES"
  },
  {
    name: "too long wins over a business role exception",
    entry: entry({ idautoPersonSystem2ID: address(242), idautoPersonAppRoles10: "iam:guest" }),
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

const record = (e: LdapEntry, r: WritebackRules = rules, mapping = defaultMapping) =>
  Either.map(check(e, r, mapping), (eligible) => eligible.record)

describe("checkEligibility (CONTRACT §4 steps 1–6)", () => {
  for (const c of skipCases) {
    it(`skips: ${c.name} → ${c.reason}`, () => {
      const result = check(c.entry, c.rules, c.mapping)
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left.reason, c.reason)
        if (c.message) assert.match(result.left.message, c.message)
        if (c.exactly !== undefined) assert.strictEqual(result.left.message, c.exactly)
        if (c.notMessage) assert.notMatch(result.left.message, c.notMessage)
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

  it("falls back to mail for eksternIdent only", () => {
    assert.deepStrictEqual(
      record(entry({ idautoPersonSystem5ID: undefined })),
      Either.right<WritebackRecord>({
        eksternIdent: "kari@mail.uni.no",
        epost: "kari.nordmann@uni.no"
      })
    )
  })

  it("writes the employee number as brukerident, only when its writeback is on", () => {
    assert.deepStrictEqual(
      record(base, withBrukerident),
      Either.right<WritebackRecord>({
        eksternIdent: "kari@uni.no",
        epost: "kari.nordmann@uni.no",
        brukerident: "00102099"
      })
    )
    assert.deepStrictEqual(
      record(entry({ idautoPersonPayrollID: "30202" }), withBrukerident),
      Either.right<WritebackRecord>({
        eksternIdent: "kari@uni.no",
        epost: "kari.nordmann@uni.no",
        brukerident: "30202"
      })
    )
    assert.deepStrictEqual(
      record(base),
      Either.right<WritebackRecord>({ eksternIdent: "kari@uni.no", epost: "kari.nordmann@uni.no" })
    )
  })

  it("never takes the username as brukerident by default", () => {
    const result = record(entry({ idautoPersonPayrollID: "7" }), withBrukerident)
    assert.deepStrictEqual(
      Either.map(result, (r) => r.brukerident),
      Either.right("7")
    )
  })

  it("ignores the brukerident source when its writeback is off", () => {
    for (const value of [["kno001", "kno002"], a(11), "kno\u0000001"]) {
      assert.deepStrictEqual(
        record(entry({ idautoPersonSystem1ID: value }), rules, usernameAsBrukerident),
        Either.right<WritebackRecord>({
          eksternIdent: "kari@uni.no",
          epost: "kari.nordmann@uni.no"
        })
      )
    }
  })

  it("accepts a multi-valued attribute that holds one value several times", () => {
    assert.isTrue(
      Either.isRight(check(entry({ idautoPersonPayrollID: ["00102099", " 00102099 "] })))
    )
  })

  it("accepts a multi-valued fallback that is not the chosen source", () => {
    assert.isTrue(Either.isRight(check(entry({ mail: ["a@uni.no", "b@uni.no"] }))))
  })

  it("accepts values of exactly DFØ's limits", () => {
    assert.deepStrictEqual(
      record(
        entry({
          idautoPersonSystem5ID: address(241),
          idautoPersonSystem2ID: address(241),
          idautoPersonSystem1ID: a(8)
        }),
        withBrukerident,
        usernameAsBrukerident
      ),
      Either.right<WritebackRecord>({
        eksternIdent: address(241),
        epost: address(241),
        brukerident: a(8)
      })
    )
  })

  it("measures values after trimming, and trimmed whitespace is no control character", () => {
    assert.deepStrictEqual(
      record(entry({ idautoPersonSystem2ID: `\t ${address(241)}\r\n` })),
      Either.right<WritebackRecord>({ eksternIdent: "kari@uni.no", epost: address(241) })
    )
  })

  it("accepts letters outside ASCII", () => {
    assert.isTrue(Either.isRight(check(entry({ idautoPersonSystem2ID: "kåre.ødegård@uni.no" }))))
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

  it("accepts employee ids of 1 to 8 digits, as the directory holds them", () => {
    for (const id of ["7", "30202", "00030202", "12345678"]) {
      assert.deepStrictEqual(
        Either.map(check(entry({ idautoPersonPayrollID: id })), (e) => e.sapId),
        Either.right(id)
      )
    }
  })
})

describe("checkEligibility's check 4, properties", () => {
  const safe = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789.-_æøå")
  const word = (minLength: number, maxLength: number) =>
    fc.array(safe, { minLength, maxLength }).map((chars) => chars.join(""))
  const control = fc
    .oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }))
    .map((code) => String.fromCharCode(code))

  const sourceOf: { readonly [F in DfoField]: string } = {
    eksternIdent: "idautoPersonSystem5ID",
    epost: "idautoPersonSystem2ID",
    brukerident: "idautoPersonSystem1ID"
  }
  const named: { readonly [F in DfoField]: string } = {
    eksternIdent: "eksternIdent (idautoPersonSystem5ID or mail)",
    epost: "epost (idautoPersonSystem2ID)",
    brukerident: "brukerident (idautoPersonSystem1ID)"
  }
  const aField = fc.constantFrom<DfoField>("eksternIdent", "epost", "brukerident")

  /** A value for `field`: fine, too long, or holding a control character inside. */
  const aValue = (field: DfoField) =>
    fc.oneof(
      word(1, fieldLimits[field]).map((value) => ({ value, problem: undefined })),
      word(fieldLimits[field] + 1, fieldLimits[field] + 40).map((value) => ({
        value,
        problem: `${named[field]} is ${value.length} characters; DFØ allows at most ${fieldLimits[field]}`
      })),
      // At most 8 characters: within every field's limit, brukerident's the shortest.
      fc.tuple(word(1, 3), control, word(1, 4)).map(([before, c, after]) => ({
        value: `${before}${c}${after}`,
        problem: `${named[field]} holds a control character`
      }))
    )

  const checkValues = (values: { readonly [F in DfoField]?: string }) =>
    check(
      entry(
        Object.fromEntries(
          Object.entries(values).map(([field, value]) => [sourceOf[field as DfoField], value])
        )
      ),
      withBrukerident,
      usernameAsBrukerident
    )

  it.prop(
    "a value over DFØ's limit → INVALID_ATTRIBUTES naming the field, its length and the limit",
    [aField.chain((field) => fc.tuple(fc.constant(field), fc.integer({ min: 1, max: 300 })))],
    ([[field, over]]) => {
      const value = a(fieldLimits[field] + over)
      const result = checkValues({ [field]: value })
      assert.deepStrictEqual(
        Either.flip(result),
        Either.right({
          reason: "INVALID_ATTRIBUTES" as const,
          message: `${named[field]} is ${value.length} characters; DFØ allows at most ${fieldLimits[field]}`
        })
      )
    }
  )

  it.prop(
    "a control character inside a value → INVALID_ATTRIBUTES naming the field",
    [aField, word(1, 3), control, word(1, 4)],
    ([field, before, c, after]) => {
      const result = checkValues({ [field]: `${before}${c}${after}` })
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left.reason, "INVALID_ATTRIBUTES")
        assert.strictEqual(result.left.message, `${named[field]} holds a control character`)
      }
    }
  )

  it.prop(
    "every problem of every field is named in one message; no problem → eligible",
    [aValue("eksternIdent"), aValue("epost"), aValue("brukerident")],
    ([eksternIdent, epost, brukerident]) => {
      const result = checkValues({
        eksternIdent: eksternIdent.value,
        epost: epost.value,
        brukerident: brukerident.value
      })
      const problems = [eksternIdent.problem, epost.problem, brukerident.problem].filter(
        (p) => p !== undefined
      )
      if (problems.length === 0) {
        assert.deepStrictEqual(
          Either.map(result, (e) => e.record),
          Either.right<WritebackRecord>({
            eksternIdent: eksternIdent.value,
            epost: epost.value,
            brukerident: brukerident.value
          })
        )
      } else {
        assert.deepStrictEqual(
          Either.flip(result),
          Either.right({ reason: "INVALID_ATTRIBUTES" as const, message: problems.join("; ") })
        )
      }
    }
  )

  it.prop(
    "brukerident's value is never checked when its writeback is off",
    [aValue("brukerident")],
    ([brukerident]) => {
      const result = check(
        entry({ idautoPersonSystem1ID: brukerident.value }),
        rules,
        usernameAsBrukerident
      )
      assert.isTrue(Either.isRight(result))
    }
  )

  const number = fc.integer({ min: 0, max: 99_999_999 })
  const padded = number.chain((n) =>
    fc.integer({ min: String(n).length, max: 8 }).map((w) => String(n).padStart(w, "0"))
  )

  it.prop("an employee id of 1–8 digits, however padded, passes", [padded], ([id]) => {
    assert.deepStrictEqual(
      Either.map(check(entry({ idautoPersonPayrollID: id }), withBrukerident), (e) => [
        e.sapId,
        e.record.brukerident
      ]),
      Either.right([id, id])
    )
  })

  it.prop(
    "an employee id of 9 or more digits → INVALID_ATTRIBUTES",
    [fc.stringMatching(/^\d{9,20}$/)],
    ([id]) => {
      const result = check(entry({ idautoPersonPayrollID: id }))
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left.reason, "INVALID_ATTRIBUTES")
        assert.match(result.left.message, /\(idautoPersonPayrollID\) is not 1–8 digits/)
      }
    }
  )

  it.prop(
    "an employee id with several distinct values → INVALID_ATTRIBUTES naming the attribute",
    [fc.uniqueArray(padded, { minLength: 2, maxLength: 5 })],
    ([ids]) => {
      const result = check(entry({ idautoPersonPayrollID: ids }))
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left.reason, "INVALID_ATTRIBUTES")
        assert.include(
          result.left.message,
          `idautoPersonPayrollID has ${ids.length} values (the employee id)`
        )
      }
    }
  )
})
