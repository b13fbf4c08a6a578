/**
 * After SIGTERM the server drains: health says NOT_SERVING for a while before the listener
 * closes, so load balancers and Kubernetes take the instance out of rotation while it still
 * answers. In that window no new run starts here: every call but health ends UNAVAILABLE /
 * SHUTTING_DOWN at once, which clients retry against another instance.
 */
import * as grpc from "@grpc/grpc-js"
import { Draining } from "./ServerError.js"
import { toStatus } from "./StatusMapping.js"

export interface DrainGate {
  /** From now on, refuse new calls (except to `openServices`). */
  readonly close: () => void
  readonly interceptor: grpc.ServerInterceptor
}

/** A gate letting every call through until `close`; `openServices` (full names) always pass. */
export const make = (openServices: ReadonlyArray<string>): DrainGate => {
  let closed = false
  return {
    close: () => {
      closed = true
    },
    interceptor: (method, call) => {
      if (!closed || openServices.some((service) => method.path.startsWith(`/${service}/`))) {
        return new grpc.ServerInterceptingCall(call)
      }
      const intercepted: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
        start: (next) =>
          next({
            // Not passing the metadata on keeps the handler from ever starting.
            onReceiveMetadata: () => intercepted.sendStatus(toStatus(new Draining()))
          })
      })
      return intercepted
    }
  }
}
