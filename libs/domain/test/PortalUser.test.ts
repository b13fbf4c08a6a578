import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
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
      idautopersonpayrollid: "00102099",
      idautoPersonSystem5ID: ["", "feide@uni.no"],
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
    assert.strictEqual(user.epost, "mail@uni.no")
    assert.strictEqual(user.brukerident, "kno001")
    assert.strictEqual(user.username, "kno001")
    assert.isUndefined(user.uhUsername)
    assert.isFalse(user.disabled)
    assert.isFalse(user.deleted)
    assert.deepStrictEqual(user.entitlements, ["Active Directory", "VPN", "Wiki"])
    assert.deepStrictEqual(user.businessRoles, ["iam:employee", "iam:staff"])
  })

  it("follows an overridden mapping", () => {
    const mapping = AttributeMapping.make({
      ...defaultMapping,
      sapId: "employeeNumber",
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
    assert.strictEqual(user.epost, "m@uni.no")
    assert.include(requestedAttributes(mapping), "employeeNumber")
    assert.notInclude(requestedAttributes(mapping), "idautoPersonPayrollID")
  })

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
