/** The DFØ emulator's admin API, read from a scenario's process (the emulator is the parent's). */
import { Effect } from "effect"
import type { Arrival } from "./eventLatency.js"
import type { DfoBackend } from "./protocol.js"

const adminOf = (dfo: DfoBackend) => {
  if (dfo.adminUrl === undefined) throw new Error("this scenario needs the emulator's admin URL")
  return dfo.adminUrl
}

const getJson = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    if (!response.ok) throw new Error(`${url}: ${response.status}`)
    return (await response.json()) as unknown
  })

/** PUTs the emulator has answered or is answering since its log was last reset. */
export const putCount = (dfo: DfoBackend): Effect.Effect<number> =>
  Effect.map(
    getJson(`${adminOf(dfo)}/stats`),
    (stats) => (stats as { byMethod: Record<string, number> }).byMethod["PUT"] ?? 0
  )

/** Every request in the emulator's log, with its arrival time. */
export const requests = (dfo: DfoBackend): Effect.Effect<ReadonlyArray<Arrival>> =>
  Effect.map(
    getJson(`${adminOf(dfo)}/log`),
    (log) => (log as { requests: ReadonlyArray<Arrival> }).requests
  )
