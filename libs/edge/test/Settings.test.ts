// How a process's catalogue is built from its libraries' declarations; the README's table
// is checked against the apps' catalogues (apps/cli/test/Settings.test.ts).
import { assert, describe, it } from "@effect/vitest"
import { Settings } from "../src/index.js"

const { setting } = Settings

const client = {
  url: setting("X_URL", "text", undefined, "where"),
  key: setting("X_KEY", "text", undefined, "the key", true),
  timeoutMs: setting("X_TIMEOUT_MS", "integer", 10_000, "each request"),
  roles: setting("X_ROLES", "list", ["a", "b"], "roles"),
  strict: setting("X_STRICT", "boolean", false, "strict")
}
const server = { listen: setting("Y_LISTEN", "text", "127.0.0.1:1", "address") }

const catalogue = Settings.catalogue({
  declarations: [client, server],
  elsewhere: [server],
  mapping: { epost: "attributes" }
})

describe("Settings.catalogue", () => {
  it("lists every declaration in order, each default as people read it", () => {
    assert.deepStrictEqual(
      catalogue.all.map((s) => [s.name, s.default]),
      [
        ["X_URL", undefined],
        ["X_KEY", undefined],
        ["X_TIMEOUT_MS", "10000"],
        ["X_ROLES", "a,b"],
        ["X_STRICT", "false"],
        ["Y_LISTEN", "127.0.0.1:1"]
      ]
    )
  })

  it("reads all but the other process's settings, which it still knows", () => {
    assert.deepStrictEqual(
      catalogue.read.map((s) => s.name),
      ["X_URL", "X_KEY", "X_TIMEOUT_MS", "X_ROLES", "X_STRICT"]
    )
    assert.strictEqual(catalogue.find("Y_LISTEN")?.meaning, "address")
    assert.isTrue(catalogue.environmentNames.has("Y_LISTEN"))
  })

  it("a secret is also known by its _FILE form; no other setting is", () => {
    assert.deepStrictEqual(catalogue.secrets, ["X_KEY"])
    assert.isTrue(catalogue.environmentNames.has("X_KEY_FILE"))
    assert.isFalse(catalogue.environmentNames.has("X_URL_FILE"))
  })

  it("help shows each meaning, default and _FILE form", () => {
    assert.include(Settings.helpText(catalogue), "X_TIMEOUT_MS  each request (default 10000)")
    assert.include(Settings.helpText(catalogue), "the key; secret, also as X_KEY_FILE")
  })
})
