/**
 * Bearer-token authentication (`authorization: Bearer <token>` metadata) as a grpc-js server
 * interceptor, so every method (WritebackService and reflection alike) is covered without
 * each handler remembering to check. Health stays open: load balancers probe it without
 * credentials. The interceptor also tells the handlers who is calling (a named token's name
 * and scope, see `Callers`).
 */
import { createHash, timingSafeEqual } from "node:crypto"
import * as grpc from "@grpc/grpc-js"
import { Either, Redacted } from "effect"
import * as Callers from "./Callers.js"
import { type PermissionDenied, Unauthenticated } from "./ServerError.js"
import { toStatus } from "./StatusMapping.js"

/** Checks a call's metadata against the configured tokens. */
export interface Authenticator {
  readonly check: (metadata: grpc.Metadata) => Either.Either<Callers.Caller, Unauthenticated>
}

const digest = (token: string): Buffer => createHash("sha256").update(token, "utf8").digest()

const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i

/**
 * Compares SHA-256 digests with `timingSafeEqual` against every token (no early exit), so
 * neither a token's length, nor its first differing byte, nor which entry matched shows in
 * the response time.
 */
export const make = (tokens: ReadonlyArray<Callers.CallerToken>): Authenticator => {
  const accepted = tokens.map((entry) => ({
    digest: digest(Redacted.value(entry.token)),
    caller: { name: entry.name, scope: entry.scope }
  }))
  return {
    check: (metadata) => {
      const header = metadata.get("authorization")[0]
      const token = typeof header === "string" ? bearer.exec(header)?.[1] : undefined
      if (token === undefined) return Either.left(new Unauthenticated({ reason: "missing" }))
      const presented = digest(token)
      let matched: Callers.Caller | undefined
      for (const candidate of accepted) {
        if (timingSafeEqual(candidate.digest, presented)) matched = candidate.caller
      }
      return matched === undefined
        ? Either.left(new Unauthenticated({ reason: "invalid" }))
        : Either.right(matched)
    }
  }
}

/** Lets every call through as the anonymous full-scope caller (no tokens configured). */
export const unauthenticated: Authenticator = { check: () => Either.right(Callers.anonymous) }

/**
 * Metadata the interceptor writes for the handlers: the caller's name and scope. Whatever a
 * client sent under these keys is replaced, so a client cannot name itself.
 */
export const callerNameKey = "x-dfo-writeback-caller"
export const callerScopeKey = "x-dfo-writeback-caller-scope"

/** The caller the interceptor recorded in a call's metadata. */
export const callerOf = (metadata: grpc.Metadata): Callers.Caller => {
  const name = metadata.get(callerNameKey)[0]
  const scope = metadata.get(callerScopeKey)[0]
  return {
    name: typeof name === "string" ? name : "",
    // Never reached without the interceptor, which always sets a scope; the narrowest
    // scope is the safe reading of anything else.
    scope:
      typeof scope === "string" && (Callers.scopes as ReadonlyArray<string>).includes(scope)
        ? (scope as Callers.CallerScope)
        : "dry-run"
  }
}

/** Whether a caller may call a method at all (before its request is read). */
export type MethodPolicy = (
  caller: Callers.Caller,
  methodPath: string
) => Either.Either<void, PermissionDenied>

/**
 * Lets a call through once its metadata passes `authenticator` and `policy`; otherwise ends
 * it with UNAUTHENTICATED / PERMISSION_DENIED before the handler sees it. Methods under
 * `publicServices` (full service names) skip the check.
 */
export const interceptor =
  (
    authenticator: Authenticator,
    publicServices: ReadonlyArray<string>,
    policy: MethodPolicy = () => Either.void
  ): grpc.ServerInterceptor =>
  (method, call) => {
    const isPublic = publicServices.some((service) => method.path.startsWith(`/${service}/`))
    const intercepted: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            metadata.remove(callerNameKey)
            metadata.remove(callerScopeKey)
            if (isPublic) return nextMetadata(metadata)
            const checked = Either.flatMap(authenticator.check(metadata), (caller) =>
              Either.map(policy(caller, method.path), () => caller)
            )
            Either.match(checked, {
              onRight: (caller) => {
                // The call log (an inner interceptor) reads the name from this same object.
                metadata.set(callerNameKey, caller.name)
                metadata.set(callerScopeKey, caller.scope)
                nextMetadata(metadata)
              },
              // Not passing the metadata on keeps the handler from ever starting.
              onLeft: (error) => intercepted.sendStatus(toStatus(error))
            })
          }
        })
    })
    return intercepted
  }
