// A small seeded PRNG: the generator must give the same people for the same seed on every
// machine and Node version, which Math.random cannot.

const mix32 = (value: number): number => {
  let a = value >>> 0
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b)
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35)
  return (a ^ (a >>> 16)) >>> 0
}

export interface Random {
  /** Uniform in [0, 1). */
  readonly next: () => number
  readonly chance: (probability: number) => boolean
  readonly pick: <A>(values: ReadonlyArray<A>) => A
  readonly uuid: () => string
}

/**
 * One independent stream per (seed, index), so person `index` is the same whatever the
 * total count and whatever other options draw before it.
 */
export const random = (seed: number, index: number): Random => {
  let state = mix32(mix32(Math.trunc(seed)) ^ Math.imul(index + 1, 0x9e3779b9))
  // mulberry32
  const next = () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const word = () => Math.floor(next() * 4294967296)
  const hex = (value: number) => (value >>> 0).toString(16).padStart(8, "0")
  return {
    next,
    chance: (probability) => next() < probability,
    pick: <A>(values: ReadonlyArray<A>): A => values[Math.floor(next() * values.length)] as A,
    uuid: () => {
      const a = hex(word())
      const b = hex(word())
      const c = hex(word())
      const d = hex(word())
      const version = `4${b.slice(5, 8)}`
      const variant = ((parseInt(c.slice(0, 1), 16) & 0x3) | 0x8).toString(16) + c.slice(1, 4)
      return `${a}-${b.slice(0, 4)}-${version}-${variant}-${c.slice(4, 8)}${d}`
    }
  }
}
