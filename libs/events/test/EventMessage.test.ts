import { assert, describe, it } from "@effect/vitest"
import { EventMessage, EventsConfig } from "../src/index.js"

const arrival = new Date("2026-12-07T10:00:00Z")
const relevant = new Set(EventsConfig.defaults.scimAttributes.map((name) => name.toLowerCase()))
const notify = "urn:ietf:params:scim:schemas:notify:2.0:Event"
const user = (id: string) => `https://iga.example.no/scim/v2/Users/${id}`

const scim = (event: Record<string, unknown>) =>
  EventMessage.readScim(
    Buffer.from(JSON.stringify({ schemas: [notify], ...event })),
    relevant,
    arrival
  )

describe("readScim", () => {
  it("runs by idautoID for each person a MODIFY of a relevant attribute names", () => {
    const reading = scim({
      type: "MODIFY",
      time: "2026-12-07T09:59:58Z",
      resourceUris: [user("a1b2"), user("c3d4"), user("a1b2")],
      attributes: ['emails[type eq "work"].value', "name.givenName"]
    })
    assert.deepStrictEqual(reading, {
      _tag: "Run",
      triggers: ["a1b2", "c3d4"].map((keyValue) => ({
        source: "scim" as const,
        keyField: "idautoID" as const,
        keyValue,
        eventTime: new Date("2026-12-07T09:59:58Z")
      }))
    })
  })

  it("ignores a MODIFY that touches nothing the writeback reads, and a DELETE", () => {
    const modify = scim({
      type: "MODIFY",
      resourceUris: [user("a1b2")],
      attributes: [
        "name.givenName",
        "phoneNumbers",
        "urn:ietf:params:scim:schemas:core:2.0:User:title"
      ]
    })
    assert.strictEqual(modify._tag, "Ignore")
    assert.include(modify._tag === "Ignore" ? modify.reason : "", "none the writeback reads")
    assert.strictEqual(scim({ type: "DELETE", resourceUris: [user("a1b2")] })._tag, "Ignore")
  })

  it("reads attribute names as SCIM does: case-insensitive, before [ or ., without a schema URN", () => {
    assert.strictEqual(EventMessage.attributeName('Emails[type eq "work"].value'), "emails")
    assert.strictEqual(EventMessage.attributeName("userName"), "username")
    assert.strictEqual(
      EventMessage.attributeName(
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"
      ),
      "employeenumber"
    )
    const enterprise = scim({
      type: "MODIFY",
      resourceUris: [user("a1b2")],
      attributes: ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"]
    })
    assert.strictEqual(enterprise._tag, "Run")
  })

  it("runs for ADD, ACTIVATE, DEACTIVATE and a MODIFY without attributes; uses the arrival without a time", () => {
    for (const type of ["ADD", "ACTIVATE", "DEACTIVATE", "MODIFY"]) {
      const reading = scim({ type, resourceUris: [user("e5f6")] })
      assert.strictEqual(reading._tag, "Run", type)
      if (reading._tag === "Run") assert.deepStrictEqual(reading.triggers[0]?.eventTime, arrival)
    }
  })

  it("dead-letters what cannot be read, saying why", () => {
    const cases: Array<[unknown, string]> = [
      [Buffer.from("{not json"), "not JSON"],
      [Buffer.from([0xff, 0xfe, 0x00]), "not JSON"],
      [Buffer.from(JSON.stringify({ type: "RENAME", resourceUris: [] })), "not a SCIM event"],
      [Buffer.from(JSON.stringify({ type: "ADD" })), "not a SCIM event"],
      [Buffer.from(JSON.stringify({ type: "ADD", resourceUris: [] })), "no resource URI"],
      [
        Buffer.from(JSON.stringify({ type: "ADD", resourceUris: ["https://x/Users/"] })),
        "without a user id"
      ],
      [
        Buffer.from(JSON.stringify({ type: "ADD", resourceUris: [user("x".repeat(300))] })),
        "300 characters"
      ],
      [Buffer.alloc(EventMessage.maxBodyBytes + 1, 32), "bytes"]
    ]
    for (const [body, why] of cases) {
      const reading = EventMessage.readScim(body, relevant, arrival)
      assert.strictEqual(reading._tag, "DeadLetter", why)
      assert.include(reading._tag === "DeadLetter" ? reading.reason : "", why)
    }
  })

  it("reads the body however the client hands it over: bytes, text or parsed JSON", () => {
    const event = { type: "ADD", resourceUris: [user("a1b2")] }
    for (const body of [Buffer.from(JSON.stringify(event)), JSON.stringify(event), event]) {
      assert.strictEqual(EventMessage.readScim(body, relevant, arrival)._tag, "Run")
    }
  })
})

describe("readDfo", () => {
  const dfo = (body: unknown) => EventMessage.readDfo(Buffer.from(JSON.stringify(body)), arrival)

  it("runs by employee-id for a changed employee", () => {
    assert.deepStrictEqual(dfo({ id: "00030202", uri: "dfo:ansatte", gyldigEtter: "2026-12-07" }), {
      _tag: "Run",
      triggers: [
        { source: "dfo", keyField: "employee-id", keyValue: "00030202", eventTime: arrival }
      ]
    })
    const numeric = dfo({ id: 30202, uri: "dfo:ansatte" })
    assert.strictEqual(numeric._tag === "Run" ? numeric.triggers[0]?.keyValue : "", "30202")
  })

  it("ignores another uri and dead-letters an id that is not an employee id", () => {
    assert.strictEqual(dfo({ id: "00030202", uri: "dfo:stillinger" })._tag, "Ignore")
    const bad = dfo({ id: "12ab", uri: "dfo:ansatte" })
    assert.strictEqual(bad._tag, "DeadLetter")
    assert.include(bad._tag === "DeadLetter" ? bad.reason : "", "not an employee id")
    assert.strictEqual(dfo({ id: "123456789", uri: "dfo:ansatte" })._tag, "DeadLetter")
    assert.strictEqual(dfo({ uri: "dfo:ansatte" })._tag, "DeadLetter")
  })
})
