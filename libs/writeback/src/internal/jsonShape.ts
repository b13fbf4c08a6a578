/**
 * What `JSON.parse` hides: it keeps the last of two equal keys without a word (a plan with
 * `"users": []` before the real `"users"` shows a reviewer one list and writes another), and
 * the code after it recurses once per level. One pass over the text, with no recursion and
 * no parse, finds both before anything else reads it.
 */

const quote = 0x22
const backslash = 0x5c

const clip = (text: string, max = 40) => (text.length > max ? `${text.slice(0, max)}…` : text)

/** The index of the quote that closes the string opened at `start`, or -1. */
const closingQuote = (text: string, start: number): number => {
  let from = start + 1
  for (;;) {
    const at = text.indexOf('"', from)
    if (at === -1) return -1
    let before = at - 1
    while (before > start && text.charCodeAt(before) === backslash) before--
    // An even number of backslashes escape each other, not the quote.
    if ((at - 1 - before) % 2 === 0) return at
    from = at + 1
  }
}

/**
 * Why `text` must not be parsed: an object holding one key twice (keys compared as JSON
 * reads them, `"a"` and `"\u0061"` alike), or arrays and objects nested deeper than
 * `maxDepth`. `undefined` when neither; syntax is left to `JSON.parse`.
 */
export const shapeProblem = (text: string, maxDepth: number): string | undefined => {
  // One entry per open container: an object's keys so far, or `null` for an array.
  const open: Array<Set<string> | null> = []
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === quote) {
      const end = closingQuote(text, i)
      if (end === -1) return undefined
      const keys = open.at(-1)
      if (expectKey && keys) {
        const raw = text.slice(i + 1, end)
        let key = raw
        if (raw.includes("\\")) {
          try {
            key = JSON.parse(text.slice(i, end + 1)) as string
          } catch {
            return undefined
          }
        }
        if (keys.has(key)) {
          return `the key ${JSON.stringify(clip(key))} appears twice in one object (depth ${open.length})`
        }
        keys.add(key)
        expectKey = false
      }
      i = end
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      open.push(c === 0x7b ? new Set() : null)
      if (open.length > maxDepth) return `nested deeper than ${maxDepth} levels`
      expectKey = c === 0x7b
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      open.pop()
      expectKey = false
    } else if (c === 0x2c /* , */) {
      expectKey = open.at(-1) instanceof Set
    }
  }
  return undefined
}
