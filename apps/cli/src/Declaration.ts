/**
 * What a command declares, read from its @effect/cli declaration (the help document
 * @effect/cli derives from it), so the help and the usage errors list every option a
 * command has, including one added later, without a second, hand-written list.
 */
import { CliConfig, HelpDoc } from "@effect/cli"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import type * as Span from "@effect/cli/HelpDoc/Span"

/** How an option's value is read, for the help's placeholder and the usage error's words. */
export type Kind = "flag" | "integer" | "number" | "choice" | "text"

export interface OptionDoc {
  /** `--max-updates` */
  readonly name: string
  /** Other names of the same option (`-h`). */
  readonly aliases: ReadonlyArray<string>
  readonly kind: Kind
  /** `N`, `FILE`: the pseudo name, or the type's own word. Empty for a flag. */
  readonly placeholder: string
  /** The values a choice takes; empty otherwise. */
  readonly choices: ReadonlyArray<string>
  readonly description: string
  readonly required: boolean
}

export interface ArgDoc {
  /** `FILE` */
  readonly name: string
  readonly description: string
  readonly required: boolean
}

export interface CommandDoc {
  readonly name: string
  /** The description's first paragraph: one line in `writeback --help`. */
  readonly summary: string
  /** The description's other paragraphs. */
  readonly notes: ReadonlyArray<string>
  readonly args: ReadonlyArray<ArgDoc>
  readonly options: ReadonlyArray<OptionDoc>
  /**
   * Options of which exactly one alternative is given, each alternative a set of option
   * names given together: `[["--key-field", "--key-value"], ["--process-all"]]`.
   */
  readonly oneOf: ReadonlyArray<ReadonlyArray<string>>
  /** Shown after the notes (`config`'s list of settings). */
  readonly appendix: string
}

const spanText = (span: Span.Span): string => {
  switch (span._tag) {
    case "Text":
    case "URI":
      return span.value
    case "Highlight":
    case "Weak":
    case "Strong":
      return spanText(span.value)
    case "Sequence":
      return spanText(span.left) + spanText(span.right)
  }
}

/** The document's blocks in order, sequences flattened. */
const blocksOf = (doc: HelpDoc.HelpDoc): ReadonlyArray<HelpDoc.HelpDoc> =>
  HelpDoc.isSequence(doc) ? [...blocksOf(doc.left), ...blocksOf(doc.right)] : [doc]

const paragraphs = (doc: HelpDoc.HelpDoc): ReadonlyArray<string> =>
  blocksOf(doc).flatMap((block) => (HelpDoc.isParagraph(block) ? [spanText(block.value)] : []))

/** A document's paragraphs as one line of text (a `ValidationError`'s message). */
export const text = (doc: HelpDoc.HelpDoc): string => paragraphs(doc).join(" ")

/** @effect/cli's own sentences around a description: the type, and whether it is optional. */
const optionalNote = /^This (setting|option) (is optional|can be set|will prompt)/
const kindOf = (typeSentence: string): Kind =>
  typeSentence.startsWith("A true or false")
    ? "flag"
    : typeSentence.startsWith("An integer")
      ? "integer"
      : typeSentence.startsWith("A floating point")
        ? "number"
        : typeSentence.startsWith("One of the following")
          ? "choice"
          : "text"

interface Entry {
  readonly names: ReadonlyArray<string>
  readonly placeholder: string
  readonly kind: Kind
  readonly description: string
  readonly required: boolean
}

const entryOf = ([span, block]: readonly [Span.Span, HelpDoc.HelpDoc]): Entry => {
  const [typeSentence = "", ...rest] = paragraphs(block)
  const words = spanText(span).trim()
  // `--name, -n PLACEHOLDER`: names first, then what the value is called.
  const names = words.match(/^(-{1,2}[^\s,]+)(,\s*-{1,2}[^\s,]+)*/)?.[0] ?? ""
  return {
    names: names === "" ? [words.replace(/^<(.*)>$/, "$1")] : names.split(/,\s*/),
    placeholder: words.slice(names.length).trim(),
    kind: kindOf(typeSentence),
    description: rest.filter((text) => !optionalNote.test(text)).join(" "),
    required: !rest.some((text) => optionalNote.test(text))
  }
}

/** Each definition list's entries, by the section (`OPTIONS`, `ARGUMENTS`) it is under. */
const sections = (doc: HelpDoc.HelpDoc) => {
  const found = new Map<string, Array<Entry>>()
  const text = new Map<string, Array<string>>()
  let section = ""
  for (const block of blocksOf(doc)) {
    if (HelpDoc.isHeader(block)) section = spanText(block.value)
    else if (HelpDoc.isDescriptionList(block)) {
      found.set(section, [...(found.get(section) ?? []), ...block.definitions.map(entryOf)])
    } else if (HelpDoc.isParagraph(block)) {
      text.set(section, [...(text.get(section) ?? []), spanText(block.value)])
    }
  }
  return {
    entries: (name: string) => found.get(name) ?? [],
    text: (name: string) => text.get(name) ?? []
  }
}

/** @effect/cli's word for a value without a pseudo name, as a placeholder reads. */
const typeWords: Readonly<Record<string, string>> = { integer: "N", float: "NUMBER", text: "TEXT" }

const config = CliConfig.make({ showBuiltIns: false })

/** A command's declaration as help shows it; `oneOf` and `appendix` are the help's to add. */
export const read = (command: { readonly descriptor: Descriptor.Command<unknown> }): CommandDoc => {
  const found = sections(Descriptor.getHelp(command.descriptor, config))
  const [summary = "", ...notes] = found.text("DESCRIPTION")
  const [name = ""] = Descriptor.getNames(command.descriptor)
  return {
    name,
    summary,
    notes,
    args: found.entries("ARGUMENTS").map((entry) => ({
      name: entry.names[0] ?? "",
      description: entry.description,
      required: entry.required
    })),
    options: found.entries("OPTIONS").map((entry) => {
      const choices = entry.kind === "choice" ? entry.placeholder.split(/\s*\|\s*/) : []
      return {
        name: entry.names.find((name) => name.startsWith("--")) ?? entry.names[0] ?? "",
        aliases: entry.names.filter((name) => !name.startsWith("--")),
        kind: entry.kind,
        placeholder:
          entry.kind === "choice"
            ? choices.join("|")
            : (typeWords[entry.placeholder] ?? entry.placeholder),
        choices,
        description: entry.description,
        required: entry.required
      }
    }),
    oneOf: [],
    appendix: ""
  }
}
