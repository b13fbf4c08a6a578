/**
 * The median of a sample: its middle value, or the mean of the two middle values when the
 * sample has an even size; `undefined` for an empty sample.
 */
export const median = (sample: ReadonlyArray<number>): number | undefined => {
  if (sample.length === 0) return undefined
  const sorted = [...sample].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const upper = sorted[middle] as number
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2
}

/** The median of each key any record has, over the records that have it. */
export const medianByKey = (
  records: ReadonlyArray<Readonly<Record<string, number>>>
): Record<string, number> => {
  const keys = [...new Set(records.flatMap((record) => Object.keys(record)))]
  return Object.fromEntries(
    keys.map((key) => [
      key,
      median(records.flatMap((record) => (record[key] === undefined ? [] : [record[key]]))) ?? 0
    ])
  )
}
