import type { EmployeeIndex } from "@dfo-writeback/domain"
import {
  Clock,
  Context,
  Duration,
  Effect,
  Either,
  type Fiber,
  Option,
  Schedule,
  type Tracer
} from "effect"
import * as DfoMetrics from "../DfoMetrics.js"
import * as RequestTally from "../RequestTally.js"
import type { Answer } from "./Answer.js"
import { AttemptFailure } from "./AttemptFailure.js"
import { collectWithin, declaredTooLarge, tooLarge } from "./BoundedBody.js"
import * as Deadline from "./Deadline.js"
import type { Ending, Exchange, Opened, SmallRequest } from "./Exchange.js"
import { decodeEmployeeList } from "./ListDecoder.js"
import { listRefusalOf, type Reading } from "./Reading.js"
import type { TokenBucket } from "./TokenBucket.js"

/** What a retry schedule reads from a failure. */
export interface Retryable {
  readonly transient: boolean
  readonly retryAfterMs?: number | undefined
}

export interface RetrySettings {
  readonly maxRetries: number
  readonly retryBaseMs: number
  readonly retryMaxDelayMs: number
  readonly maxRetryAfterMs: number
}

/**
 * Between attempts: transient failures only, exponential and jittered, capped, at least
 * the gateway's `Retry-After`, giving up at once on an absurd one.
 */
export const retryPolicy = (settings: RetrySettings): Schedule.Schedule<unknown, Retryable> =>
  Schedule.exponential(Duration.millis(settings.retryBaseMs)).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) =>
      Duration.min(delay, Duration.millis(settings.retryMaxDelayMs))
    ),
    Schedule.intersect(Schedule.identity<Retryable>()),
    Schedule.modifyDelay(([, failure], delay) =>
      failure.retryAfterMs === undefined
        ? delay
        : Duration.max(delay, Duration.millis(failure.retryAfterMs))
    ),
    Schedule.intersect(Schedule.recurs(settings.maxRetries)),
    Schedule.whileInput(
      (failure: Retryable) =>
        failure.transient &&
        (failure.retryAfterMs === undefined || failure.retryAfterMs <= settings.maxRetryAfterMs)
    )
  )

/** A call that failed: its last attempt's failure, and how many attempts it made. */
export interface CallFailure {
  readonly failure: AttemptFailure
  readonly attempts: number
}

/** A small call: one request, what its answer means, whether it retries and waits its turn. */
export interface SmallCall<A> extends SmallRequest {
  readonly read: Reading<A>
  readonly retried: boolean
  readonly paced: boolean
  /**
   * The health probe: it reports its own failure, which the client's failure and timeout
   * counts leave out.
   */
  readonly health: boolean
}

export interface Caller {
  /**
   * A small call's attempts, each answer read whole within the attempt's deadline; `span`
   * (the call's) gets its status and failed attempts.
   */
  readonly small: <A>(call: SmallCall<A>, span: Tracer.AnySpan) => Effect.Effect<A, CallFailure>
  /** `GET path` of the list, its success decoded as it streams, retried. */
  readonly list: (path: string, maxBytes: number) => Effect.Effect<EmployeeIndex, CallFailure>
}

export interface CallerSettings extends RetrySettings {
  readonly timeoutMs: number
}

/** What the calling fiber lends a call: its tally, clock and span. */
interface CallContext {
  readonly tally: RequestTally.RequestTally | undefined
  readonly clock: Clock.Clock
  readonly span: Tracer.AnySpan | undefined
  attempts: number
}

const contextOf = <A, E>(
  fiber: Fiber.RuntimeFiber<A, E>,
  span: Tracer.AnySpan | undefined
): CallContext => ({
  tally: Option.getOrUndefined(fiber.getFiberRef(RequestTally.current)),
  clock: Context.get(fiber.currentDefaultServices, Clock.Clock),
  span,
  attempts: 0
})

/** Counts an attempt into the call's tally; answers whether it repeats an earlier one. */
const begin = (context: CallContext): boolean => {
  context.attempts += 1
  const retry = context.attempts > 1
  if (context.tally !== undefined) {
    context.tally.requests += 1
    if (retry) context.tally.retries += 1
  }
  return retry
}

const rateLimited = (context: CallContext, method: string) => {
  DfoMetrics.countRateLimited(method)
  if (context.tally !== undefined) context.tally.rateLimited += 1
}

/** A failed attempt: a debug line for a transient one (the call may go on), and the failure. */
const failed = (
  context: CallContext,
  method: string,
  path: string,
  failure: AttemptFailure
): Effect.Effect<never, AttemptFailure> => {
  if (context.span?._tag === "Span") {
    context.span.event("DFØ attempt failed", context.clock.unsafeCurrentTimeNanos(), {
      attempt: context.attempts,
      // The reason may quote DFØ's answer: spans carry no values from it (README, Traces).
      "http.response.status_code": failure.status ?? "none"
    })
  }
  if (!failure.transient) return Effect.fail(failure)
  return Effect.logDebug("DFØ request failed").pipe(
    Effect.annotateLogs({
      method,
      path,
      attempt: context.attempts,
      status: failure.status,
      reason: failure.reason
    }),
    Effect.zipRight(Effect.fail(failure))
  )
}

/** The list's answer: its success decoded as it streams; anything else read whole. */
const listOf = (opened: Opened, maxBytes: number, clock: Clock.Clock) => {
  if (opened.status !== 200) {
    return Effect.flatMap(collectWithin(opened.body, maxBytes), (bytes) => {
      const answer: Answer = {
        status: opened.status,
        headers: opened.headers,
        body: bytes?.toString("utf8"),
        bodyLimit: maxBytes
      }
      return listRefusalOf(answer, clock.unsafeCurrentTimeMillis())
    })
  }
  if (declaredTooLarge(opened.headers, maxBytes)) {
    return Effect.zipRight(opened.discard, Effect.fail(tooLarge(opened.status, maxBytes)))
  }
  return decodeEmployeeList(opened.body, { status: opened.status, maxBytes })
}

/**
 * One attempt of a small call: the exchange, its metrics and its answer read, with plain
 * callbacks (issue #21: the per-request path is plain). Interrupting it aborts the request.
 */
const smallAttempt = <A>(
  exchange: Exchange,
  call: SmallCall<A>,
  context: CallContext
): Effect.Effect<A, AttemptFailure> =>
  Effect.async<A, AttemptFailure>((resume) => {
    const { method } = call
    const retry = begin(context)
    const start = performance.now()
    const ended = { done: false }
    const cancel = exchange.small(call, (ending: Ending) => {
      ended.done = true
      const seconds = (performance.now() - start) / 1000
      if (ending._tag === "Failed") {
        DfoMetrics.recordAttempt(method, "none", seconds, retry)
        if (ending.timedOut && !call.health) DfoMetrics.countTimeout(method)
        return resume(failed(context, method, call.path, ending.failure))
      }
      const { status } = ending.answer
      DfoMetrics.recordAttempt(method, String(status), seconds, retry)
      if (context.span?._tag === "Span") {
        context.span.attribute("http.response.status_code", status)
      }
      if (status === 429) rateLimited(context, method)
      const read = call.read(ending.answer, context.clock.unsafeCurrentTimeMillis())
      resume(Either.isRight(read) ? read : failed(context, method, call.path, read.left))
    })
    // The canceler is what aborts on interruption; measured, it costs 4 µs an attempt.
    // An attempt cut mid-request was still sent: it counts, with no answer status.
    return Effect.sync(() => {
      cancel()
      if (!ended.done) {
        DfoMetrics.recordAttempt(method, "none", (performance.now() - start) / 1000, retry)
      }
    })
  })

/**
 * The client's calls: each attempt waits for a token of `bucket` (when paced), then has
 * `timeoutMs` for its exchange; metrics and the run's tally are updated as it ends.
 */
export const makeCaller = (
  exchange: Exchange,
  bucket: TokenBucket | undefined,
  settings: CallerSettings
): Caller => {
  const policy = retryPolicy(settings)

  /**
   * `Effect.retry(policy)`, its schedule started only once the first attempt has failed:
   * most calls succeed at once and need none.
   */
  const retried = <A>(attempt: Effect.Effect<A, AttemptFailure>) =>
    Effect.catchAll(attempt, (first) =>
      Effect.flatMap(Schedule.driver(policy), (driver) => {
        const next = (failure: AttemptFailure): Effect.Effect<A, AttemptFailure> =>
          Effect.matchEffect(driver.next(failure), {
            onFailure: () => Effect.fail(failure),
            onSuccess: () => Effect.catchAll(attempt, next)
          })
        return next(first)
      })
    )

  /** The attempt after its token: the wait is not part of its deadline. */
  const pacedBy = <A>(context: CallContext, attempt: Effect.Effect<A, AttemptFailure>) =>
    bucket === undefined
      ? attempt
      : Effect.suspend(() => {
          const wait = bucket.take(context.clock.unsafeCurrentTimeMillis())
          if (wait === 0) return attempt
          const giveBack = Effect.sync(() => bucket.giveBack())
          return Effect.zipRight(
            Effect.onInterrupt(Effect.sleep(wait), () => giveBack),
            attempt
          )
        })

  /** A call's attempts as one effect; its failure counted and carrying the attempts made. */
  const run = <A>(
    method: string,
    context: CallContext,
    attempt: Effect.Effect<A, AttemptFailure>,
    paced: boolean,
    retries: boolean,
    counted: boolean
  ): Effect.Effect<A, CallFailure> => {
    const once = paced ? pacedBy(context, attempt) : attempt
    return Effect.mapError(retries ? retried(once) : once, (failure) => {
      if (counted) DfoMetrics.countFailure(method)
      return { failure, attempts: context.attempts }
    })
  }

  const small = <A>(call: SmallCall<A>, span: Tracer.AnySpan): Effect.Effect<A, CallFailure> =>
    Effect.withFiberRuntime<A, CallFailure>((fiber) => {
      const context = contextOf(fiber, span)
      const attempt = smallAttempt(exchange, call, context)
      return run(call.method, context, attempt, call.paced, call.retried, !call.health)
    })

  const late = () =>
    Effect.suspend(() => {
      DfoMetrics.countTimeout("GET")
      return Effect.fail(
        new AttemptFailure({ reason: `no answer within ${settings.timeoutMs} ms`, transient: true })
      )
    })

  /*
   * The list is one call a run, each attempt seconds long: it keeps effect combinators (the
   * deadline's fork, 44 µs; a span per attempt) where a small call may not.
   */
  const list = (path: string, maxBytes: number): Effect.Effect<EmployeeIndex, CallFailure> =>
    Effect.withFiberRuntime<EmployeeIndex, CallFailure>((fiber) => {
      // The list's span (`DfoEmployees.list`) is the fiber's current one.
      const context = contextOf(fiber, fiber.currentSpan)
      const attempt = Effect.suspend(() => {
        const retry = begin(context)
        // Only the wait for the answer is timed: the body may flow for longer (undici's
        // body timeout ends it if it pauses).
        return Deadline.within(
          settings.timeoutMs,
          late
        )(exchange.open(path)).pipe(
          Effect.flatMap((opened) => {
            if (opened.status === 429) rateLimited(context, "GET")
            return Effect.map(
              Effect.ensuring(listOf(opened, maxBytes, context.clock), opened.discard),
              (value) => ({ status: opened.status, value })
            )
          }),
          DfoMetrics.measured("GET", retry),
          Effect.matchEffect({
            onFailure: (failure) => failed(context, "GET", path, failure),
            onSuccess: ({ value }) => Effect.succeed(value)
          })
        )
      })
      return run("GET", context, attempt, true, true, true)
    })

  return { small, list }
}
