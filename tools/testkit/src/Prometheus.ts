// The Prometheus text format, read back: enough to assert what a `/metrics` scrape or a
// node_exporter textfile holds.

/** One sample line of the Prometheus text format. */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const samplePattern = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/
const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Every sample of a scrape; comment lines (HELP, TYPE, UNIT) are checked to be well-formed. */
export const parse = (text: string): ReadonlyArray<Sample> =>
  text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => {
      if (line.startsWith("#")) {
        if (!/^# (HELP|TYPE|UNIT) [a-zA-Z_:][a-zA-Z0-9_:]* ?/.test(line)) {
          throw new Error(`not a Prometheus comment line: ${line}`)
        }
        return []
      }
      const match = samplePattern.exec(line)
      if (match === null) throw new Error(`not a Prometheus sample line: ${line}`)
      const labels: Record<string, string> = {}
      for (const [, key, value] of (match[2] ?? "").matchAll(labelPattern)) {
        labels[key ?? ""] = (value ?? "").replace(/\\(.)/g, (_, c: string) =>
          c === "n" ? "\n" : c
        )
      }
      const raw = match[3] ?? ""
      const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw)
      return [{ name: match[1] ?? "", labels, value }]
    })

/** The sum of the samples named `name` whose labels include `labels`. */
export const total = (
  samples: ReadonlyArray<Sample>,
  name: string,
  labels: Readonly<Record<string, string>> = {}
): number =>
  samples
    .filter(
      (s) =>
        s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value)
    )
    .reduce((sum, s) => sum + s.value, 0)
