// The help and the usage errors read a command's declaration: an option added to it is
// listed, shown in the usage line and known to "did you mean", with no list to update.
import { Args, Command, HelpDoc, Options } from "@effect/cli"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Declaration from "../src/Declaration.js"
import * as Help from "../src/Help.js"
import * as UsageError from "../src/UsageError.js"

const review = Command.make(
  "review",
  {
    file: Args.text({ name: "FILE" }).pipe(Args.withDescription("the plan to review")),
    comment: Options.text("comment").pipe(
      Options.withPseudoName("TEXT"),
      Options.withDescription("why, for the next reviewer"),
      Options.optional
    ),
    out: Options.text("out").pipe(
      Options.withPseudoName("FILE"),
      Options.withDescription("where to write it")
    ),
    limit: Options.integer("limit").pipe(
      Options.withDescription("at most this many"),
      Options.withDefault(0)
    ),
    format: Options.choice("format", ["csv", "json"]).pipe(Options.optional),
    quiet: Options.boolean("quiet").pipe(Options.withDescription("print nothing"))
  },
  () => Effect.void
).pipe(
  Command.withDescription(
    HelpDoc.blocks([HelpDoc.p("review a plan"), HelpDoc.p("A note for operators.")])
  )
)

const doc = Declaration.read(review)
const program: Help.Program = {
  name: "writeback",
  version: "0.0.0",
  summary: "writeback: test",
  notes: [],
  commands: [doc]
}

describe("Help from the declarations", () => {
  it("reads each option: name, placeholder, kind, description, whether required", () => {
    assert.deepStrictEqual(
      doc.options.map((o) => [o.name, o.placeholder, o.kind, o.description, o.required]),
      [
        ["--comment", "TEXT", "text", "why, for the next reviewer", false],
        ["--out", "FILE", "text", "where to write it", true],
        ["--limit", "N", "integer", "at most this many", false],
        ["--format", "csv|json", "choice", "", false],
        ["--quiet", "", "flag", "print nothing", false]
      ]
    )
    assert.deepStrictEqual(doc.args, [
      { name: "FILE", description: "the plan to review", required: true }
    ])
    assert.strictEqual(doc.summary, "review a plan")
    assert.deepStrictEqual(doc.notes, ["A note for operators."])
  })

  it("renders one line an option, the usage line, and the common options", () => {
    const help = Help.commandHelp(program, doc)
    assert.match(help, /^usage: writeback review FILE \[--comment TEXT\] --out FILE \[--limit N\]/)
    assert.match(help, /^ {2}--comment TEXT +why, for the next reviewer$/m)
    assert.match(help, /^ {2}--log-level LEVEL +trace, debug/m)
    assert.include(help, "A note for operators.")
    assert.notInclude(help, "This setting is optional")
    assert.isTrue(help.split("\n").every((line) => line.length <= 80))
  })

  it("a usage error knows the new option", () => {
    assert.deepStrictEqual(
      UsageError.diagnose(["review", "f", "--out", "x", "--coment", "y"], [doc])?.problem,
      'unknown option "--coment" (did you mean --comment?)'
    )
    assert.deepStrictEqual(
      UsageError.diagnose(["review", "f", "--out", "x", "--limit", "many"], [doc])?.problem,
      '--limit takes a whole number, not "many"'
    )
    assert.isUndefined(UsageError.diagnose(["review", "f", "--out", "x", "--quiet", "true"], [doc]))
  })
})
