import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Apt, ChildProcess } from "../src/index.js"

describe("Apt.ensure", () => {
  it.effect("returns what is already installed without running apt-get", () =>
    Effect.gen(function* () {
      const found = yield* Apt.ensure(() => "/usr/bin/sh", ["no-such-package"], "hint", true)
      assert.strictEqual(found, "/usr/bin/sh")
    }).pipe(Effect.provide(ChildProcess.layer))
  )

  it.effect("says how to install, and installs nothing, when installing is not allowed", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Apt.ensure(() => undefined, ["no-such-package"], "x is not installed: run …", false)
      )
      assert.strictEqual(error._tag, "AptError")
      assert.strictEqual(error.message, "x is not installed: run …")
    }).pipe(Effect.provide(ChildProcess.layer))
  )
})
