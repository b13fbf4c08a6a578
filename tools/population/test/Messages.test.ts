import { assert, describe, it } from "@effect/vitest"
import { Messages } from "../src/index.js"

describe("the broker's messages (CONTRACT §8)", () => {
  it("a SCIM Notify event names the account and, on a MODIFY, the attributes without values", () => {
    const time = new Date("2026-12-07T06:20:00Z")
    const modify = Messages.scimEvent("MODIFY", "uhid-1", {
      attributes: [Messages.workEmailAttribute],
      time
    })
    assert.deepStrictEqual(modify, {
      schemas: ["urn:ietf:params:scim:schemas:notify:2.0:Event"],
      type: "MODIFY",
      time: "2026-12-07T06:20:00.000Z",
      resourceUris: ["https://iga.example.no/scim/v2/Users/uhid-1"],
      attributes: ['emails[type eq "work"].value']
    })
    assert.notProperty(Messages.scimEvent("DELETE", "uhid-2"), "attributes")
  })

  it("a DFØ notification carries the employee id and the date it is valid from", () => {
    assert.deepStrictEqual(Messages.dfoNotification("00100001", new Date("2026-12-07T23:30:00Z")), {
      id: "00100001",
      uri: "dfo:ansatte",
      gyldigEtter: "2026-12-07"
    })
  })
})
