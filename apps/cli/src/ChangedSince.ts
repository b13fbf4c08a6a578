/**
 * `--changed-since DURATION` (CONTRACT §7, §8): a whole number and one unit, `90s`, `15m`,
 * `2h`, `1d`, read into seconds for `changed_since_seconds`; and those seconds back into
 * the largest unit that divides them, for the run's first line.
 */
import { maxChangedSinceSeconds } from "@dfo-writeback/domain"
import { Either } from "effect"

const units = { s: 1, m: 60, h: 3600, d: 86_400 } as const
type Unit = keyof typeof units

const isUnit = (text: string): text is Unit => Object.hasOwn(units, text)

/** The window in seconds, or what is wrong with `text`, in words (never echoing more than 32 characters). */
export const parse = (text: string): Either.Either<number, string> => {
  const match = /^(\d{1,9})([a-z])$/.exec(text.trim())
  const unit = match?.[2]
  if (match === null || unit === undefined || !isUnit(unit)) {
    return Either.left(
      `--changed-since takes a whole number and a unit s, m, h or d (90s, 15m, 2h, 1d), got ${JSON.stringify(text.slice(0, 32))}`
    )
  }
  const seconds = Number(match[1]) * units[unit]
  if (seconds === 0)
    return Either.left("--changed-since must be above 0 (a full run: leave it out)")
  if (seconds > maxChangedSinceSeconds) {
    return Either.left(`--changed-since is at most 366d, got ${text.trim()}`)
  }
  return Either.right(seconds)
}

/** `900` → `15m`, `90` → `90s`. */
export const format = (seconds: number): string => {
  for (const unit of ["d", "h", "m"] as const) {
    if (seconds % units[unit] === 0) return `${seconds / units[unit]}${unit}`
  }
  return `${seconds}s`
}
