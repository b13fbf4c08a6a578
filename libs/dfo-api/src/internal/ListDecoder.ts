import {
  DfoEmployee,
  DfoEmployeeList,
  type EmployeeIndex,
  EmployeeIndexBuilder
} from "@dfo-writeback/domain"
import { Chunk, Effect, Either, ParseResult, Schema, Stream } from "effect"
import { AttemptFailure } from "./AttemptFailure.js"
import { employeeOf } from "./EmployeeCheck.js"

/*
 * DFØ's list is tens to hundreds of megabytes of large employee objects, of which the run
 * keeps four short fields. Rather than a streaming tokenizer (@streamparser/json took 2–3 ×
 * the CPU time of this on 50 000 employees), the bytes are split here: a tight loop tracks
 * nesting and strings to cut each `ansatt` element out, and V8's JSON.parse validates and
 * reads just that element.
 * Everything outside the elements is checked here token by token, and every other value
 * is cut out and parsed the same way, so a body is refused exactly when JSON.parse would.
 * JSON.parse copies the strings it returns (V8 makes no sliced strings of its source), so
 * the index keeps nothing of an element's text or of a chunk.
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const COMMA = 0x2c
const COLON = 0x3a

const isSpace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09

/** `-`, a digit, or the first letter of `true`, `false`, `null`. */
const startsPrimitive = (byte: number) =>
  byte === 0x2d || (byte >= 0x30 && byte <= 0x39) || byte === 0x74 || byte === 0x66 || byte === 0x6e

/** Where the parser is between values. */
const enum Expect {
  Root,
  FirstKey,
  Key,
  Colon,
  RootValue,
  RootComma,
  FirstElement,
  Element,
  ElementComma,
  End
}

/** What the value being cut out is. */
const enum Part {
  Root,
  Key,
  Ansatt,
  Element,
  Other
}

/** Why the body is refused; becomes an `AttemptFailure` at the boundary. */
class Refusal {
  constructor(readonly reason: string) {}
}

const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text)

const malformed = (detail: string) => new Refusal(`malformed JSON in the answer: ${detail}`)
const unexpected = (detail: string) => new Refusal(`unexpected JSON in the answer: ${clip(detail)}`)

const decodeList = Schema.decodeUnknownEither(DfoEmployeeList)
const decodeEmployee = Schema.decodeUnknownEither(DfoEmployee)

/** Today's message for a body that is JSON but not DFØ's list shape. */
const notAList = (json: unknown): Refusal => {
  const decoded = decodeList(json, { onExcessProperty: "ignore" })
  return unexpected(
    Either.isLeft(decoded)
      ? ParseResult.TreeFormatter.formatErrorSync(decoded.left)
      : "not DFØ's list of employees"
  )
}

const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/** The employee list decoder's state over one body. */
class ListSplitter {
  private readonly index = new EmployeeIndexBuilder()
  private expect = Expect.Root
  /** Bytes of the chunks before the current one. */
  private offset = 0
  private key = ""
  private seenAnsatt = false
  private elements = 0
  /** A root that is JSON but not an object, refused once the body proves to be JSON. */
  private root: { readonly json: unknown } | undefined = undefined

  // The value being cut out: its kind, where it began, the pieces of earlier chunks.
  private part: Part | undefined = undefined
  private partStart = 0
  private primitive = false
  private pieces: Array<Buffer> = []
  private depth = 0
  private inString = false
  private escaped = false

  push(chunk: Uint8Array): void {
    const bytes = asBuffer(chunk)
    const length = bytes.length
    let i = 0
    if (this.part !== undefined) {
      i = this.scan(bytes, 0)
      if (i < 0) {
        this.pieces.push(bytes)
        this.offset += length
        return
      }
      this.pieces.push(bytes.subarray(0, i))
      this.finish(Buffer.concat(this.pieces).toString("utf8"))
    }
    while (i < length) {
      const byte = bytes[i] as number
      if (isSpace(byte)) {
        i += 1
        continue
      }
      switch (this.expect) {
        case Expect.Root:
          if (byte === OPEN_BRACE) {
            this.expect = Expect.FirstKey
            i += 1
            continue
          }
          break
        case Expect.FirstKey:
          if (byte === CLOSE_BRACE) {
            this.expect = Expect.End
            i += 1
            continue
          }
          if (byte !== QUOTE) throw this.stray(byte, i)
          break
        case Expect.Key:
          if (byte !== QUOTE) throw this.stray(byte, i)
          break
        case Expect.Colon:
          if (byte !== COLON) throw this.stray(byte, i)
          this.expect = Expect.RootValue
          i += 1
          continue
        case Expect.RootValue:
          if (this.key === "ansatt" && byte === OPEN_BRACKET) {
            this.expect = Expect.FirstElement
            i += 1
            continue
          }
          break
        case Expect.RootComma:
          if (byte === COMMA) this.expect = Expect.Key
          else if (byte === CLOSE_BRACE) this.expect = Expect.End
          else throw this.stray(byte, i)
          i += 1
          continue
        case Expect.FirstElement:
          if (byte === CLOSE_BRACKET) {
            this.expect = Expect.RootComma
            i += 1
            continue
          }
          break
        case Expect.Element:
          break
        case Expect.ElementComma:
          if (byte === COMMA) this.expect = Expect.Element
          else if (byte === CLOSE_BRACKET) this.expect = Expect.RootComma
          else throw this.stray(byte, i)
          i += 1
          continue
        case Expect.End:
          throw this.stray(byte, i)
      }
      i = this.cut(bytes, i)
      if (i < 0) {
        this.offset += length
        return
      }
    }
    this.offset += length
  }

  /** The index, once the whole body has been pushed. */
  end(): EmployeeIndex {
    if (this.part !== undefined) {
      // Only a bare number can end with the body (`true`, `null` … fail in finish too).
      if (this.part === Part.Root && this.primitive) {
        this.finish(Buffer.concat(this.pieces).toString("utf8"))
      } else {
        throw malformed(`the answer ends early, at byte ${this.offset}`)
      }
    }
    if (this.expect !== Expect.End) {
      throw malformed(
        this.offset === 0 && this.expect === Expect.Root
          ? "the answer is empty"
          : `the answer ends early, at byte ${this.offset}`
      )
    }
    if (this.root !== undefined) throw notAList(this.root.json)
    if (!this.seenAnsatt) throw notAList({})
    return this.index.build()
  }

  private stray(byte: number, i: number): Refusal {
    const shown =
      byte >= 0x20 && byte < 0x7f ? `"${String.fromCharCode(byte)}"` : `0x${byte.toString(16)}`
    return malformed(`unexpected ${shown} at byte ${this.offset + i}`)
  }

  /** Starts cutting out the value at `i`; the index after it, or -1 when the chunk ends first. */
  private cut(bytes: Buffer, i: number): number {
    const byte = bytes[i] as number
    const part = this.partAt()
    if (byte === QUOTE || byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      this.primitive = false
    } else if (startsPrimitive(byte) && part !== Part.Key) {
      this.primitive = true
    } else {
      throw this.stray(byte, i)
    }
    this.part = part
    this.partStart = this.offset + i
    this.depth = 0
    this.inString = false
    this.escaped = false
    const end = this.scan(bytes, i)
    if (end < 0) {
      this.pieces.push(bytes.subarray(i))
      return -1
    }
    this.finish(bytes.toString("utf8", i, end))
    return end
  }

  private partAt(): Part {
    switch (this.expect) {
      case Expect.Root:
        return Part.Root
      case Expect.FirstKey:
      case Expect.Key:
        return Part.Key
      case Expect.RootValue:
        return this.key === "ansatt" ? Part.Ansatt : Part.Other
      default:
        return Part.Element
    }
  }

  /**
   * Scans the value being cut out from `i`: the index just after its end, or -1 when the
   * chunk ends first (the state is kept for the next chunk). A value whose brackets do not
   * match still ends somewhere; JSON.parse then refuses it.
   */
  private scan(bytes: Buffer, i: number): number {
    const length = bytes.length
    if (this.primitive) {
      for (; i < length; i++) {
        const byte = bytes[i] as number
        if (byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || isSpace(byte)) {
          return i
        }
      }
      return -1
    }
    let depth = this.depth
    let inString = this.inString
    let escaped = this.escaped
    for (; i < length; i++) {
      const byte = bytes[i] as number
      if (inString) {
        if (escaped) escaped = false
        else if (byte === BACKSLASH) escaped = true
        else if (byte === QUOTE) {
          inString = false
          if (depth === 0) return i + 1
        }
      } else if (byte === QUOTE) inString = true
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth += 1
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        depth -= 1
        if (depth === 0) return i + 1
      }
    }
    this.depth = depth
    this.inString = inString
    this.escaped = escaped
    return -1
  }

  /** Parses the value just cut out and moves on. */
  private finish(text: string): void {
    const part = this.part as Part
    this.part = undefined
    this.pieces = []
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (error) {
      const where = part === Part.Element ? `ansatt[${this.elements}]` : "the value"
      throw malformed(`${(error as Error).message} (in ${where} from byte ${this.partStart})`)
    }
    switch (part) {
      case Part.Root:
        this.root = { json }
        this.expect = Expect.End
        return
      case Part.Key:
        this.key = json as string
        if (this.key === "ansatt") {
          if (this.seenAnsatt) throw unexpected("`ansatt` appears twice")
          this.seenAnsatt = true
        }
        this.expect = Expect.Colon
        return
      case Part.Element:
        this.add(json, `ansatt[${this.elements}]`)
        this.elements += 1
        this.expect = Expect.ElementComma
        return
      case Part.Ansatt:
        // An older answer's single employee; anything else is not the list's shape.
        if (typeof json !== "object" || json === null) throw notAList({ ansatt: json })
        this.add(json, "ansatt")
        this.expect = Expect.RootComma
        return
      case Part.Other:
        this.expect = Expect.RootComma
        return
    }
  }

  private add(json: unknown, where: string): void {
    const employee = employeeOf(json)
    if (employee !== undefined) {
      this.index.add(employee)
      return
    }
    const decoded = decodeEmployee(json, { onExcessProperty: "ignore" })
    if (Either.isRight(decoded)) {
      this.index.add(decoded.right)
      return
    }
    const id = (json as { readonly id?: unknown } | null)?.id
    const named =
      typeof id === "string" || typeof id === "number"
        ? ` (id ${clip(JSON.stringify(id), 20)})`
        : ""
    // The schema's tree names its transformations first; the issues alone say what is wrong.
    const issues = ParseResult.ArrayFormatter.formatErrorSync(decoded.left).map(
      ({ path, message }) => (path.length === 0 ? message : `${path.join(".")}: ${message}`)
    )
    throw unexpected(`${where}${named}: ${issues.join("; ")}`)
  }
}

/**
 * Decodes `GET {base}`'s body (CONTRACT §3) as it arrives into an index of DFØ's employees.
 * Holds one employee and one chunk at a time besides the index; stops reading at once when
 * the body passes `maxBytes`. Refusals are non-transient, with `status`.
 */
export const decodeEmployeeList = (
  body: Stream.Stream<Uint8Array, AttemptFailure>,
  options: { readonly status: number; readonly maxBytes: number }
): Effect.Effect<EmployeeIndex, AttemptFailure> =>
  Effect.suspend(() => {
    const splitter = new ListSplitter()
    let size = 0
    const refuse = (reason: string) =>
      new AttemptFailure({ status: options.status, reason, transient: false })
    const step = (bytes: Uint8Array): AttemptFailure | undefined => {
      size += bytes.length
      if (size > options.maxBytes) {
        return refuse(`the answer is larger than ${options.maxBytes} bytes; refused`)
      }
      try {
        splitter.push(bytes)
      } catch (error) {
        if (error instanceof Refusal) return refuse(error.reason)
        throw error
      }
      return undefined
    }
    return body.pipe(
      Stream.runForEachChunk((chunk) => {
        for (const bytes of Chunk.toReadonlyArray(chunk)) {
          const failure = step(bytes)
          if (failure !== undefined) return Effect.fail(failure)
        }
        return Effect.void
      }),
      Effect.flatMap(() => {
        try {
          return Effect.succeed(splitter.end())
        } catch (error) {
          if (error instanceof Refusal) return Effect.fail(refuse(error.reason))
          throw error
        }
      })
    )
  })
