/**
 * Bearer-token authentication (`authorization: Bearer <token>` metadata) as a grpc-js server
 * interceptor, so every method (WritebackService and reflection alike) is covered without
 * each handler remembering to check. Health stays open: load balancers probe it without
 * credentials.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import * as grpc from "@grpc/grpc-js"
import { Either, Redacted } from "effect"
import { Unauthenticated } from "./ServerError.js"
import { toStatus } from "./StatusMapping.js"

/** Checks a call's metadata against the configured tokens. */
export interface Authenticator {
  readonly check: (metadata: grpc.Metadata) => Either.Either<void, Unauthenticated>
}

const digest = (token: string): Buffer => createHash("sha256").update(token, "utf8").digest()

const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i

/**
 * Compares SHA-256 digests with `timingSafeEqual` against every token (no early exit), so
 * neither a token's length nor its first differing byte shows in the response time.
 */
export const make = (tokens: ReadonlyArray<Redacted.Redacted<string>>): Authenticator => {
  const accepted = tokens.map((token) => digest(Redacted.value(token)))
  return {
    check: (metadata) => {
      const header = metadata.get("authorization")[0]
      const token = typeof header === "string" ? bearer.exec(header)?.[1] : undefined
      if (token === undefined) return Either.left(new Unauthenticated({ reason: "missing" }))
      const presented = digest(token)
      let matched = false
      for (const candidate of accepted) {
        matched = timingSafeEqual(candidate, presented) || matched
      }
      return matched ? Either.void : Either.left(new Unauthenticated({ reason: "invalid" }))
    }
  }
}

/**
 * Lets a call through once its metadata passes `authenticator`; otherwise ends it with
 * UNAUTHENTICATED before the handler sees it. Methods under `publicServices` (full service
 * names) skip the check.
 */
export const interceptor =
  (authenticator: Authenticator, publicServices: ReadonlyArray<string>): grpc.ServerInterceptor =>
  (method, call) => {
    if (publicServices.some((service) => method.path.startsWith(`/${service}/`))) {
      return new grpc.ServerInterceptingCall(call)
    }
    const intercepted: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) =>
            Either.match(authenticator.check(metadata), {
              onRight: () => nextMetadata(metadata),
              // Not passing the metadata on keeps the handler from ever starting.
              onLeft: (error) => intercepted.sendStatus(toStatus(error))
            })
        })
    })
    return intercepted
  }
