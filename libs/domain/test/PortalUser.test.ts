import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc, ParseResult, Schema } from "effect"
import {
  AttributeMapping,
  decodePortalUser,
  defaultMapping,
  type LdapEntry,
  type MultiValued,
  PortalUser,
  PortalUserFromEntry,
  requestedAttributes,
  withoutSpaces
} from "../src/index.js"

/**
 * The rules' reading of an entry written plainly (copy every attribute, then look each
 * field up), as the decoder read entries before it became one pass: the specification
 * the one-pass decoder is checked against.
 */
const plainReading = (mapping: AttributeMapping, entry: LdapEntry) => {
  const byName = new Map<string, ReadonlyArray<string>>()
  for (const [name, value] of Object.entries(entry)) {
    if (name === "dn") continue
    const values = (typeof value === "string" ? [value] : value).filter((v) => v.trim() !== "")
    byName.set(name.toLowerCase(), values)
  }
  const untrimmed = (name: string) => byName.get(name.toLowerCase()) ?? []
  const values = (name: string) => untrimmed(name).map((v) => v.trim())
  const multiValued: Array<MultiValued> = []
  const first = (
    field: MultiValued["field"],
    names: ReadonlyArray<string>,
    read: (name: string) => ReadonlyArray<string> = values
  ) => {
    for (const name of names) {
      const found = read(name)
      const [value] = found
      if (value === undefined) continue
      const count = new Set(found).size
      if (count > 1) multiValued.push({ field, attribute: name, count })
      return value
    }
    return undefined
  }
  const isTrue = (name: string) => values(name).some((v) => v.toUpperCase() === "TRUE")
  const optional = (key: string, value: string | undefined) =>
    value === undefined ? {} : { [key]: value }
  return new PortalUser({
    dn: entry.dn,
    ...optional("idautoId", values(mapping.idautoId)[0]),
    ...optional(
      "sapId",
      first("sapId", [mapping.sapId], (n) => untrimmed(n).map(withoutSpaces))
    ),
    ...optional("eksternIdent", first("eksternIdent", mapping.eksternIdent)),
    ...optional("epost", first("epost", mapping.epost)),
    ...optional("brukerident", first("brukerident", mapping.brukerident)),
    ...optional("username", values(mapping.username)[0]),
    ...optional("uhUsername", values(mapping.uhUsername)[0]),
    disabled: isTrue(mapping.disabled),
    deleted: isTrue(mapping.deleted),
    entitlements: mapping.entitlements.flatMap(values),
    businessRoles: values(mapping.businessRoles),
    multiValued
  })
}

/** Any spelling of a name: LDAP attribute names are case-insensitive. */
const spelling = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((upper) =>
      [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join("")
    )
const value = fc.constantFrom(
  "",
  " ",
  "1",
  " 1 ",
  "00102099",
  "kari@uni.no",
  "TRUE",
  "true ",
  "x\t"
)
const values = fc.oneof(value, fc.array(value, { maxLength: 4 }))
const entries = fc
  .tuple(
    fc.array(
      fc.tuple(fc.constantFrom(...requestedAttributes(defaultMapping), "cn", "sn"), values),
      { maxLength: 14 }
    ),
    fc.array(fc.boolean(), { minLength: 14, maxLength: 14 })
  )
  .chain(([attributes, respell]) =>
    fc
      .tuple(...attributes.map(([name], i) => (respell[i] ? spelling(name) : fc.constant(name))))
      .map((names): LdapEntry => {
        const entry: Record<string, string | ReadonlyArray<string>> = {}
        names.forEach((name, i) => (entry[name] = attributes[i]?.[1] ?? []))
        return { ...entry, dn: "idautoID=x,ou=Accounts,dc=meta" }
      })
  )

describe("PortalUser from an LDAP entry", () => {
  it("reads attributes case-insensitively, trims, and takes the first non-blank source", () => {
    const user = decodePortalUser(defaultMapping)({
      dn: "idautoID=abc,ou=Accounts,dc=meta",
      IDAUTOID: " abc ",
      idautopersonpayrollid: " 00102099 ",
      idautoPersonSystem5ID: ["", "feide@uni.no"],
      IDAUTOPERSONSYSTEM2ID: "kari.nordmann@uni.no",
      mail: "mail@uni.no",
      idautoPersonSystem1ID: "kno001",
      idautoDisabled: "FALSE",
      idautoPersonAppRoles2: "Active Directory",
      idautoPersonAppRoles6: ["VPN", "Wiki"],
      idautoPersonAppRoles10: ["iam:employee", "iam:staff"]
    })
    assert.strictEqual(user.idautoId, "abc")
    assert.strictEqual(user.sapId, "00102099")
    assert.strictEqual(user.eksternIdent, "feide@uni.no")
    assert.strictEqual(user.epost, "kari.nordmann@uni.no")
    assert.strictEqual(user.brukerident, "00102099")
    assert.strictEqual(user.username, "kno001")
    assert.isUndefined(user.uhUsername)
    assert.isFalse(user.disabled)
    assert.isFalse(user.deleted)
    assert.deepStrictEqual(user.entitlements, ["Active Directory", "VPN", "Wiki"])
    assert.deepStrictEqual(user.businessRoles, ["iam:employee", "iam:staff"])
    assert.deepStrictEqual(user.multiValued, [])
  })

  it("takes epost from idautoPersonSystem2ID only: mail holds the Feide ID", () => {
    const user = decodePortalUser(defaultMapping)({
      dn: "x",
      idautoPersonSystem5ID: "kari@uni.no",
      idautoPersonSystem2ID: "  ",
      mail: "kari@uni.no"
    })
    assert.strictEqual(user.eksternIdent, "kari@uni.no")
    assert.isUndefined(user.epost)
  })

  it("takes brukerident from the employee number, never the username", () => {
    const user = decodePortalUser(defaultMapping)({
      dn: "x",
      idautoPersonPayrollID: "30202",
      idautoPersonSystem1ID: "kno001",
      idautoPersonSAMAccountName: "kno001uh"
    })
    assert.strictEqual(user.brukerident, "30202")
    assert.isUndefined(
      decodePortalUser(defaultMapping)({ dn: "x", idautoPersonSystem1ID: "kno001" }).brukerident
    )
  })

  it("lists each field whose chosen source holds several distinct values", () => {
    const user = decodePortalUser(defaultMapping)({
      dn: "x",
      idautoPersonPayrollID: ["00102099", "00102100"],
      idautoPersonSystem5ID: ["kari@uni.no", " kari@uni.no "],
      mail: ["a@uni.no", "b@uni.no"],
      idautoPersonSystem2ID: ["kari@uni.no", "", "k@uni.no", "x@uni.no"]
    })
    assert.deepStrictEqual(user.multiValued, [
      { field: "sapId", attribute: "idautoPersonPayrollID", count: 2 },
      { field: "epost", attribute: "idautoPersonSystem2ID", count: 3 },
      { field: "brukerident", attribute: "idautoPersonPayrollID", count: 2 }
    ])
    // The first value still supplies the field; the rules refuse to write it.
    assert.strictEqual(user.sapId, "00102099")
    assert.strictEqual(user.eksternIdent, "kari@uni.no")
  })

  it("lists a fallback source when it is the one chosen", () => {
    const user = decodePortalUser(defaultMapping)({
      dn: "x",
      idautoPersonSystem5ID: " ",
      mail: ["a@uni.no", "b@uni.no"]
    })
    assert.strictEqual(user.eksternIdent, "a@uni.no")
    assert.deepStrictEqual(user.multiValued, [
      { field: "eksternIdent", attribute: "mail", count: 2 }
    ])
  })

  it("follows an overridden mapping", () => {
    const mapping = AttributeMapping.make({
      ...defaultMapping,
      sapId: "employeeNumber",
      brukerident: ["employeeNumber"],
      epost: ["mail"]
    })
    const user = decodePortalUser(mapping)({
      dn: "x",
      employeeNumber: "42",
      idautoPersonPayrollID: "99",
      idautoPersonSystem2ID: "ignored@uni.no",
      mail: "m@uni.no"
    })
    assert.strictEqual(user.sapId, "42")
    assert.strictEqual(user.brukerident, "42")
    assert.strictEqual(user.epost, "m@uni.no")
    assert.include(requestedAttributes(mapping), "employeeNumber")
    assert.notInclude(requestedAttributes(mapping), "idautoPersonPayrollID")
    assert.notInclude(requestedAttributes(mapping), "idautoPersonSystem2ID")
  })

  it.prop(
    "multiValued names a field exactly when its attribute holds several distinct values",
    [fc.array(fc.constantFrom("1", "2", "3", " 1", ""), { maxLength: 4 })],
    ([ids]) => {
      const user = decodePortalUser(defaultMapping)({ dn: "x", idautoPersonPayrollID: ids })
      const distinct = new Set(ids.map((v) => v.trim()).filter((v) => v !== "")).size
      assert.deepStrictEqual(
        user.multiValued,
        distinct > 1
          ? [
              { field: "sapId", attribute: "idautoPersonPayrollID", count: distinct },
              { field: "brukerident", attribute: "idautoPersonPayrollID", count: distinct }
            ]
          : []
      )
    }
  )

  it("decodes unknown input with the schema and refuses malformed entries", () => {
    const schema = PortalUserFromEntry(defaultMapping)
    assert.isTrue(Either.isRight(Schema.decodeUnknownEither(schema)({ dn: "x", idautoID: "a" })))
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(schema)({ idautoID: "a" })))
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(schema)({ dn: "x", idautoID: 5 })))
  })

  it.prop(
    "reads in one pass what the plain reading reads, whatever the names' spelling",
    [entries],
    ([entry]) => {
      const user = decodePortalUser(defaultMapping)(entry)
      assert.instanceOf(user, PortalUser)
      assert.deepStrictEqual(user, plainReading(defaultMapping, entry))
    },
    { fastCheck: { numRuns: 300 } }
  )

  it("reads bytes the client could not read as text as UTF-8, replacing what is not", () => {
    const schema = PortalUserFromEntry(defaultMapping)
    const user = Schema.decodeUnknownSync(schema)({
      dn: "idautoID=x,ou=Accounts,dc=meta",
      idautoPersonSystem1ID: new TextEncoder().encode(" bjørn "),
      mail: [new Uint8Array([0x6b, 0xff, 0x40]), "other@uni.no"]
    })
    assert.strictEqual(user.username, "bjørn")
    assert.strictEqual(user.eksternIdent, "k\ufffd@")
    assert.deepStrictEqual(user.multiValued, [
      { field: "eksternIdent", attribute: "mail", count: 2 }
    ])
  })

  it("names the attribute that holds something other than text, never the value", () => {
    const schema = PortalUserFromEntry(defaultMapping)
    for (const [entry, attribute] of [
      [{ dn: "x", IDAUTOPERSONSYSTEM5ID: ["secret-value", 7] }, "IDAUTOPERSONSYSTEM5ID"],
      [{ dn: "x", idautoDisabled: { secret: "secret-value" } }, "idautoDisabled"],
      [{ dn: 5 }, "dn"]
    ] as const) {
      const result = Schema.decodeUnknownEither(schema)(entry)
      assert.isTrue(Either.isLeft(result))
      if (Either.isRight(result)) continue
      const message = ParseResult.ArrayFormatter.formatErrorSync(result.left)
        .map((issue) => issue.message)
        .join("; ")
      assert.include(message, attribute)
      assert.notInclude(message, "secret-value")
    }
    // An attribute the rules do not read is not theirs to refuse.
    assert.isTrue(Either.isRight(Schema.decodeUnknownEither(schema)({ dn: "x", cn: 5 })))
  })

  it("requests each attribute once", () => {
    const names = requestedAttributes(defaultMapping)
    assert.strictEqual(new Set(names).size, names.length)
    assert.include(names, "mail")
  })
})
