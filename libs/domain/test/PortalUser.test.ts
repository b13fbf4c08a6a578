import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc, Schema } from "effect"
import {
  AttributeMapping,
  decodePortalUser,
  defaultMapping,
  PortalUserFromEntry,
  requestedAttributes
} from "../src/index.js"

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

  it("requests each attribute once", () => {
    const names = requestedAttributes(defaultMapping)
    assert.strictEqual(new Set(names).size, names.length)
    assert.include(names, "mail")
  })
})
