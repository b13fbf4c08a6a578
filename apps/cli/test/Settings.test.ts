// The README's configuration table against the settings as the libraries declare them:
// one name, one default, in one place (issue #21 point 9).
import { ServerSettings } from "@dfo-writeback/contract"
import { DfoSettings } from "@dfo-writeback/dfo-api"
import { EdgeSettings } from "@dfo-writeback/edge"
import * as EventsSettings from "@dfo-writeback/events/EventsSettings"
import { LeaseSettings } from "@dfo-writeback/lease"
import { LdapSettings } from "@dfo-writeback/portal-ldap"
import { WritebackSettings } from "@dfo-writeback/writeback"
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import { catalogue } from "../src/Catalogue.js"

const readme = fs.readFileSync(new URL("../../../README.md", import.meta.url), "utf8")

/** Name and default of each row of the README's configuration table, in order. */
const readmeRows = () => {
  const section = readme.slice(readme.indexOf("## Configuration"))
  const table = section.slice(0, section.indexOf("\n\n", section.indexOf("| variable")))
  return table
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const [, name = "", fallback = ""] = line.split("|")
      // The default is the cell's first code span; `—` or words say there is none.
      const shown = /`([^`]*)`/.exec(fallback)?.[1]
      return [/`([A-Z0-9_]+)`/.exec(name)?.[1] ?? "", shown] as const
    })
}

describe("the settings catalogue", () => {
  it("the README's table lists every declared setting, in order, with its declared default", () => {
    assert.deepStrictEqual(
      readmeRows(),
      catalogue.all.map((s) => [s.name, s.default] as const)
    )
  })

  it("is every library's declaration, each setting once", () => {
    const declared = [
      LdapSettings.settings,
      DfoSettings.settings,
      WritebackSettings.settings,
      LeaseSettings.settings,
      ServerSettings.settings,
      EdgeSettings.settings,
      EventsSettings.settings
    ].flatMap((table) => Object.values(table).map((s) => s.name))
    const names = catalogue.all.map((s) => s.name)
    assert.deepStrictEqual(names, declared)
    assert.strictEqual(new Set(names).size, names.length)
  })

  it("the CLI reads all but the server's own settings and the event consumer's", () => {
    const server = new Set(
      [ServerSettings.settings, EventsSettings.settings].flatMap((table) =>
        Object.values(table).map((s) => s.name)
      )
    )
    assert.deepStrictEqual(
      catalogue.read.map((s) => s.name),
      catalogue.all.map((s) => s.name).filter((name) => !server.has(name))
    )
  })
})
