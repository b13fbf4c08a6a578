/** "Did you mean" for a misspelt setting, mapping key, command or option. */

const normalize = (name: string) => name.toLowerCase().replace(/[_\-\s]/g, "")

/**
 * Edits between two names, a swap of two neighbouring letters counting as one (optimal
 * string alignment): `rnu` is one edit from `run`, as a typist sees it.
 */
const distance = (a: string, b: string): number => {
  let before: Array<number> = []
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        current[j] = Math.min(current[j] ?? 0, (before[j - 2] ?? 0) + 1)
      }
    }
    before = previous
    previous = current
  }
  return previous[b.length] ?? 0
}

/**
 * The known name `name` most likely meant: the same name ignoring case and underscores
 * (`sapReadOnly` → `SAP_READ_ONLY`), else the nearest within a few edits (`mappings` →
 * `mapping`). `undefined` when nothing is near.
 */
export const suggest = (name: string, known: Iterable<string>): string | undefined => {
  const wanted = normalize(name)
  let best: { readonly name: string; readonly distance: number } | undefined
  for (const candidate of known) {
    const d = distance(wanted, normalize(candidate))
    if (d === 0) return candidate
    if (best === undefined || d < best.distance) best = { name: candidate, distance: d }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(wanted.length / 4)))
  return best !== undefined && best.distance <= limit ? best.name : undefined
}

/** `unknown setting "X"` plus the suggestion, when there is one. */
export const unknownName = (what: string, name: string, known: Iterable<string>): string => {
  const near = suggest(name, known)
  return `unknown ${what} ${JSON.stringify(name)}${near === undefined ? "" : ` (did you mean ${near}?)`}`
}
