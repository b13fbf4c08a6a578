import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import { Settings } from "../src/index.js"

const readme = fs.readFileSync(new URL("../../../README.md", import.meta.url), "utf8")

/** The names in the first column of the README's configuration table. */
const readmeNames = () => {
  const section = readme.slice(readme.indexOf("## Configuration"))
  const table = section.slice(0, section.indexOf("\n\n", section.indexOf("| variable")))
  return table
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .flatMap((line) => [...(line.split("|")[1] ?? "").matchAll(/`([A-Z0-9_]+)`/g)])
    .map((match) => match[1] ?? "")
}

describe("Settings", () => {
  it("the README's configuration table lists exactly the catalogue, in its order", () => {
    assert.deepStrictEqual(
      readmeNames(),
      Settings.all.map((s) => s.name)
    )
  })

  it("names are unique and every secret has a _FILE form", () => {
    const names = Settings.all.map((s) => s.name)
    assert.strictEqual(new Set(names).size, names.length)
    for (const secret of Settings.secrets)
      assert.isTrue(Settings.environmentNames.has(`${secret}_FILE`))
  })
})
