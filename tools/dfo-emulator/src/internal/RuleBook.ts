import { canonicalPath } from "./ids.js"

interface Rule<A> {
  readonly method: string | undefined
  /** Relative to the base path, its id in 8-digit form. */
  readonly path: string | undefined
  remaining: number
  readonly value: A
}

/**
 * Rules that apply to the next `times` requests matching a method and a path (scripts and
 * `mutateAfter`). An id in a path matches with or without leading zeros.
 */
export class RuleBook<A> {
  private rules: Array<Rule<A>> = []

  add(rule: {
    readonly method?: string | undefined
    readonly path?: string | undefined
    readonly times?: number | undefined
    readonly value: A
  }): void {
    this.rules.push({
      method: rule.method?.toUpperCase(),
      path: rule.path === undefined ? undefined : canonicalPath(rule.path),
      remaining: rule.times ?? 1,
      value: rule.value
    })
  }

  /** The first rule matching, counted as used once. */
  takeFirst(method: string, path: string): A | undefined {
    const rule = this.rules.find((r) => this.matches(r, method, path))
    if (rule === undefined) return undefined
    this.use(rule)
    return rule.value
  }

  /** Every rule matching, each counted as used once. */
  takeAll(method: string, path: string): ReadonlyArray<A> {
    const matching = this.rules.filter((r) => this.matches(r, method, path))
    for (const rule of matching) this.use(rule)
    return matching.map((r) => r.value)
  }

  get isEmpty(): boolean {
    return this.rules.length === 0
  }

  /** Uses left over all rules. */
  pending(): number {
    return this.rules.reduce((n, rule) => n + rule.remaining, 0)
  }

  clear(): void {
    this.rules = []
  }

  private matches(rule: Rule<A>, method: string, path: string): boolean {
    return (
      (rule.method === undefined || rule.method === method) &&
      (rule.path === undefined || rule.path === canonicalPath(path))
    )
  }

  private use(rule: Rule<A>): void {
    rule.remaining -= 1
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule)
  }
}
