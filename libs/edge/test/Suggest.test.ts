import { assert, describe, it } from "@effect/vitest"
import { Suggest } from "../src/index.js"

describe("Suggest", () => {
  it("a swap of two neighbouring letters is one edit", () => {
    assert.strictEqual(Suggest.suggest("rnu", ["run", "plan", "apply"]), "run")
    assert.strictEqual(Suggest.suggest("--hlep", ["--help", "--version"]), "--help")
    assert.strictEqual(
      Suggest.suggest("--key-feild", ["--key-field", "--key-value"]),
      "--key-field"
    )
  })

  it("nothing near: no suggestion", () => {
    assert.isUndefined(Suggest.suggest("--concurrency", ["--process-all", "--log-only"]))
    assert.isUndefined(Suggest.suggest("xyz", ["run", "plan"]))
  })

  it("unknownName names the nearest", () => {
    assert.strictEqual(
      Suggest.unknownName("option", "--proces-all", ["--process-all", "--log-only"]),
      'unknown option "--proces-all" (did you mean --process-all?)'
    )
  })
})
