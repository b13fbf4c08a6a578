import { DfoFault, keyRefusalAdvice, keyRefusedStatuses } from "@dfo-writeback/domain"
import { Either, Option, Schema } from "effect"
import { AttemptFailure } from "./AttemptFailure.js"
import { parseWaitHeaders } from "./RetryAfter.js"

/** An answer's headers as undici gives them: lower-case names. */
export type Headers = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/** A complete answer of one of DFØ's small calls (everything but the list's success). */
export interface Answer {
  readonly status: number
  readonly headers: Headers
  /** `undefined` when the body was over the size limit and not read to its end. */
  readonly body: string | undefined
  readonly bodyLimit: number
}

export const IKKE_ANSATT = /IKKE ANSATT/i

export const clip = (text: string, max = 300) =>
  text.length > max ? `${text.slice(0, max)}…` : text

export const parseJson = (text: string): Either.Either<unknown, string> => {
  try {
    return Either.right(JSON.parse(text) as unknown)
  } catch (error) {
    return Either.left(`malformed JSON in the answer: ${(error as Error).message}`)
  }
}

const decodeFault = Schema.decodeUnknownOption(DfoFault)
const decodeGatewayMessage = Schema.decodeUnknownOption(Schema.Struct({ message: Schema.String }))

/** What an error body says: DFØ's `faultText`, or the gateway's `message`. */
export const explain = (answer: Answer): { faultText?: string; gatewayMessage?: string } => {
  if (answer.body === undefined || answer.body === "") return {}
  const json = parseJson(answer.body)
  if (Either.isLeft(json)) return {}
  const fault = decodeFault(json.right)
  if (Option.isSome(fault)) return { faultText: fault.value.standard.faultText }
  const gateway = decodeGatewayMessage(json.right)
  return Option.isSome(gateway) ? { gatewayMessage: gateway.value.message } : {}
}

/** The failure for any answer that is not a success of its call. */
export const failureOf = (answer: Answer, now: number): AttemptFailure => {
  const { status } = answer
  const { faultText, gatewayMessage } = explain(answer)
  const said = gatewayMessage === undefined ? "" : `; the gateway said: ${clip(gatewayMessage)}`
  const wait = parseWaitHeaders(status, answer.headers, now)
  const retryAfterMs = wait?.ms
  const retryAfterText = wait === undefined ? "" : ` (${wait.header})`
  if (status === 429) {
    return new AttemptFailure({
      status,
      faultText,
      reason: `rate limited by the gateway${retryAfterText}${said}`,
      transient: true,
      retryAfterMs
    })
  }
  if (status === 502 || status === 503 || status === 504) {
    return new AttemptFailure({
      status,
      faultText,
      reason: `DFØ or the gateway is unavailable${retryAfterText}${said}`,
      transient: true,
      retryAfterMs
    })
  }
  if (keyRefusedStatuses.has(status)) {
    return new AttemptFailure({
      status,
      faultText,
      reason: `${keyRefusalAdvice(status)}${said}`,
      transient: false
    })
  }
  if (status === 404) {
    return new AttemptFailure({
      status,
      faultText,
      // A write to an employee DFØ no longer holds gets IKKE ANSATT too; the URL is fine.
      reason:
        faultText !== undefined && IKKE_ANSATT.test(faultText)
          ? `DFØ holds no such employee${said}`
          : `not found, and not DFØ's IKKE ANSATT answer (check SAP_ANSATT_BASE_URL)${said}`,
      transient: false
    })
  }
  if (status === 400 || status === 422) {
    return new AttemptFailure({
      status,
      faultText,
      reason: `DFØ rejected the request${said}`,
      transient: false
    })
  }
  return new AttemptFailure({
    status,
    faultText,
    reason: `unexpected answer HTTP ${status}${said}`,
    transient: false
  })
}

/** A success body as JSON, or the failure explaining why it is not usable. */
export const successJson = (answer: Answer): Either.Either<unknown, AttemptFailure> => {
  if (answer.body === undefined) {
    return Either.left(
      new AttemptFailure({
        status: answer.status,
        reason: `the answer is larger than ${answer.bodyLimit} bytes; refused`,
        transient: false
      })
    )
  }
  return Either.mapLeft(
    parseJson(answer.body),
    (reason) => new AttemptFailure({ status: answer.status, reason, transient: false })
  )
}
