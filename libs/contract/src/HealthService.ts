/**
 * `grpc.health.v1.Health` over a small registry of serving statuses (gRPC's
 * health-checking protocol: Check, List and Watch).
 */
import type * as grpc from "@grpc/grpc-js"
import { status as Status } from "@grpc/grpc-js"
import {
  Health,
  HealthCheckResponse_ServingStatus as WireStatus
} from "./gen/grpc/health/v1/health_pb.js"
import * as GrpcService from "./GrpcService.js"

/** The statuses a service can be set to. */
export type ServingStatus = "SERVING" | "NOT_SERVING"

/** A health registry and the handlers that serve it. */
export interface HealthService {
  /**
   * Sets a service's status (`""` is the whole server) and tells its watchers.
   * Ignored after {@link HealthService.drain} or {@link HealthService.shutdown}.
   */
  readonly setStatus: (service: string, status: ServingStatus) => void
  /**
   * Marks every service `NOT_SERVING` and ignores later changes, but goes on answering
   * (Watch calls stay open): a load balancer sees the server leave before its listener
   * closes.
   */
  readonly drain: () => void
  /** The status of a service, or `undefined` if it was never set. */
  readonly getStatus: (service: string) => ServingStatus | undefined
  /**
   * Marks every service `NOT_SERVING`, ignores later changes and ends the open Watch calls,
   * which would otherwise keep a graceful `server.tryShutdown` waiting forever.
   */
  readonly shutdown: () => void
  /** The most Watch calls open at once; one more is refused with `RESOURCE_EXHAUSTED`. */
  readonly maxWatches: number
  /** Watch calls refused since the last call: for one summary line, never one line each. */
  readonly takeRefusedWatches: () => number
  /** The `grpc.health.v1.Health` handlers. */
  readonly handlers: GrpcService.Handlers<typeof Health>
}

export interface Options {
  /**
   * Watch calls open at once, over every service. Each holds a stream and a little memory
   * (20 000 took ~290 MB), and Health needs no token: without a bound any caller can
   * exhaust the process. Default 100.
   */
  readonly maxWatches?: number
}

/** The most services `List` reports, per the health-checking protocol. */
const listLimit = 100

const toWire = (status: ServingStatus | undefined): WireStatus =>
  status === undefined
    ? WireStatus.SERVICE_UNKNOWN
    : status === "SERVING"
      ? WireStatus.SERVING
      : WireStatus.NOT_SERVING

type WatchCall = Parameters<GrpcService.Handlers<typeof Health>["watch"]>[0]

interface Watcher {
  readonly call: WatchCall
  last: WireStatus
}

/** A registry holding `initial` (by default the whole server, `""`, is `SERVING`). */
export const make = (
  initial: Readonly<Record<string, ServingStatus>> = { "": "SERVING" },
  options: Options = {}
): HealthService => {
  const maxWatches = options.maxWatches ?? 100
  const statuses = new Map<string, ServingStatus>(Object.entries(initial))
  const watchers = new Map<string, Set<Watcher>>()
  let open = 0
  let refused = 0
  let stopped = false
  let draining = false

  const notify = (service: string): void => {
    const next = toWire(statuses.get(service))
    for (const watcher of watchers.get(service) ?? []) {
      if (watcher.last !== next) {
        watcher.last = next
        watcher.call.write({ status: next })
      }
    }
  }

  const setStatus = (service: string, status: ServingStatus): void => {
    if (stopped || draining) return
    statuses.set(service, status)
    notify(service)
  }

  const drain = (): void => {
    if (stopped || draining) return
    for (const service of statuses.keys()) statuses.set(service, "NOT_SERVING")
    for (const service of watchers.keys()) notify(service)
    draining = true
  }

  const shutdown = (): void => {
    if (stopped) return
    draining = false
    drain()
    stopped = true
    for (const set of watchers.values()) {
      for (const watcher of set) watcher.call.end()
      set.clear()
    }
    watchers.clear()
    open = 0
  }

  const handlers: GrpcService.Handlers<typeof Health> = {
    check: (call, callback) => {
      const status = statuses.get(call.request.service)
      if (status === undefined) {
        callback({ code: Status.NOT_FOUND, details: `unknown service: ${call.request.service}` })
      } else {
        callback(null, { status: toWire(status) })
      }
    },
    list: (_call, callback) => {
      if (statuses.size > listLimit) {
        callback({
          code: Status.RESOURCE_EXHAUSTED,
          details: `more than ${listLimit} services`
        })
        return
      }
      const entries = [...statuses].map(([service, status]) => [
        service,
        { status: toWire(status) }
      ])
      callback(null, { statuses: Object.fromEntries(entries) })
    },
    watch: (call) => {
      if (!stopped && open >= maxWatches) {
        refused += 1
        call.emit("error", {
          code: Status.RESOURCE_EXHAUSTED,
          details: `at most ${maxWatches} Health.Watch calls at once`
        })
        return
      }
      const service = call.request.service
      const watcher: Watcher = { call, last: toWire(statuses.get(service)) }
      call.write({ status: watcher.last })
      if (stopped) {
        call.end()
        return
      }
      let set = watchers.get(service)
      if (set === undefined) {
        set = new Set()
        watchers.set(service, set)
      }
      set.add(watcher)
      open += 1
      call.on("cancelled", () => {
        if (set.delete(watcher)) open -= 1
        if (set.size === 0 && watchers.get(service) === set) watchers.delete(service)
      })
    }
  }

  return {
    setStatus,
    drain,
    getStatus: (service) => statuses.get(service),
    shutdown,
    maxWatches,
    takeRefusedWatches: () => {
      const count = refused
      refused = 0
      return count
    },
    handlers
  }
}

/** Registers `grpc.health.v1.Health` on a server. */
export const addToServer = (server: Pick<grpc.Server, "addService">, health: HealthService): void =>
  GrpcService.addService(server, Health, health.handlers)
