import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, LogLevel } from "effect"
import { LogFormat } from "../src/index.js"

/** The lines `effect` logs through the app's logger in `format`. */
const linesOf = (format: LogFormat.Format, effect: Effect.Effect<void>) =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    yield* effect.pipe(
      Effect.provide(
        LogFormat.layer({ format, level: LogLevel.Info, write: (line) => lines.push(line) })
      )
    )
    return lines
  })

// eslint-disable-next-line no-control-regex
const controls = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

const hostile =
  "IKKE ANSATT\n2026-11-30T00:00:00.000Z INFO  audit forged=true\u001b[2J\u009b31m\u2028x"

const failedWrite = Effect.logError(`SAP_UPDATE_FAILED: (${hostile})`).pipe(
  Effect.annotateLogs({ fault_text: hostile, [`key\nINFO`]: "v" })
)

describe("LogFormat", () => {
  it.effect("text: a faultText cannot forge a line or reach the terminal as control codes", () =>
    Effect.gen(function* () {
      const lines = yield* linesOf("text", failedWrite)
      assert.strictEqual(lines.length, 1)
      const [line = ""] = lines
      assert.notMatch(line, controls)
      assert.include(
        line,
        "IKKE ANSATT\\n2026-11-30T00:00:00.000Z INFO  audit forged=true\\u001b[2J"
      )
      assert.include(line, "key\\nINFO=v")
    })
  )

  it.effect("json: one line that parses back to the original text, no raw C1 or separators", () =>
    Effect.gen(function* () {
      const lines = yield* linesOf("json", failedWrite)
      assert.strictEqual(lines.length, 1)
      const [line = ""] = lines
      assert.notMatch(line, controls)
      const parsed = JSON.parse(line) as Record<string, unknown>
      assert.strictEqual(parsed["fault_text"], hostile)
    })
  )

  it.effect("an echoed value is clipped, saying how much was left out", () =>
    Effect.gen(function* () {
      const huge = "x".repeat(1_000_000)
      for (const format of ["json", "text"] as const) {
        const lines = yield* linesOf(
          format,
          Effect.logWarning(`NOT_FOUND: ${huge}`).pipe(Effect.annotateLogs("key_value", huge))
        )
        const [line = ""] = lines
        assert.isBelow(line.length, 3 * LogFormat.maxValueLength)
        assert.include(
          line,
          `…(${1_000_000 + "NOT_FOUND: ".length - LogFormat.maxValueLength} more characters)`
        )
        assert.include(line, `…(${1_000_000 - LogFormat.maxValueLength} more characters)`)
      }
    })
  )

  it.effect(
    "a sink that fails: an audit line's failure reaches its fiber, others are dropped",
    () =>
      Effect.gen(function* () {
        const full = new Error("ENOSPC: no space left on device, write")
        const logger = LogFormat.layer({
          format: "json",
          level: LogLevel.Info,
          write: () => {
            throw full
          }
        })
        const plain = yield* Effect.exit(
          Effect.logError("run aborted").pipe(Effect.provide(logger))
        )
        assert.isTrue(Exit.isSuccess(plain))
        const audit = yield* Effect.exit(
          Effect.logInfo("audit").pipe(
            Effect.annotateLogs({ audit: true, audit_phase: "intent" }),
            Effect.provide(logger)
          )
        )
        assert.isTrue(Exit.isFailure(audit))
        if (Exit.isFailure(audit)) {
          assert.deepStrictEqual([...Cause.defects(audit.cause)], [full])
        }
      })
  )
})
