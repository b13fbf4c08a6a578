/**
 * Consumption pauses while LDAP or DFØ is down, or DFØ refuses the key (CONTRACT §8): new
 * messages wait before their run instead of failing one by one. After a backoff exactly one
 * run goes through as a probe; its success resumes consumption, its failure pauses again,
 * for longer.
 */
import { Clock, Duration, Effect, Option, Ref, Schedule } from "effect"

export interface Pause {
  /** Waits while consumption is paused (the probe, when one is due, passes). */
  readonly await: Effect.Effect<void>
  /** `await` without the wait: `true` when the caller may go on now (it may be the probe). */
  readonly passes: Effect.Effect<boolean>
  /**
   * Pauses (or keeps paused) for `reason`. A probe's failure, or the first failure of a
   * wave, makes the next probe wait the next backoff; the rest of the wave (runs under way
   * when the outage began) changes nothing, so prefetched messages failing together do
   * not stretch a short outage into a long pause.
   */
  readonly pause: (reason: string) => Effect.Effect<void>
  /** A run worked: consumption goes on. */
  readonly resume: Effect.Effect<void>
  /** Why consumption is paused, if it is. */
  readonly reason: Effect.Effect<Option.Option<string>>
}

interface State {
  readonly reason: string | undefined
  /** Consecutive pauses, for the backoff. */
  readonly strikes: number
  /** When the next probe may run (epoch ms). */
  readonly until: number
  /** A probe is under way: everyone else waits for its answer. */
  readonly probing: boolean
}

const running: State = { reason: undefined, strikes: 0, until: 0, probing: false }

/** 1 s, 2 s, 4 s … capped at `max`. */
const backoff = (strikes: number, max: Duration.Duration): number =>
  Math.min(1000 * 2 ** Math.max(0, strikes - 1), Duration.toMillis(max))

export const make = (max: Duration.DurationInput = "5 minutes"): Effect.Effect<Pause> =>
  Effect.gen(function* () {
    const cap = Duration.decode(max)
    const state = yield* Ref.make<State>(running)
    /** `true` when this caller may go on: not paused, or the probe that is due. */
    const pass = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.modify(state, (current): [boolean, State] => {
        if (current.reason === undefined) return [true, current]
        if (current.probing || now < current.until) return [false, current]
        return [true, { ...current, probing: true }]
      })
    )
    return {
      passes: pass,
      // Checked every 200 ms: a pause is seconds to minutes long.
      await: pass.pipe(
        Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: (ok) => ok }),
        Effect.asVoid
      ),
      pause: (reason) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Ref.update(state, (current) => {
            if (current.reason !== undefined && !current.probing) return { ...current, reason }
            const strikes = current.strikes + 1
            return { reason, strikes, until: now + backoff(strikes, cap), probing: false }
          })
        ),
      resume: Ref.set(state, running),
      reason: Effect.map(Ref.get(state), (current) => Option.fromNullable(current.reason))
    }
  })
