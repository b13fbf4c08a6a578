import { HashMap, Logger, MutableRef, Option } from "effect"

/**
 * The writes DFØ may have applied without the run learning how they ended, read from the
 * run's own `audit` record: an intent line opens a write, a done line closes it, except
 * one whose result is `unknown` because the run was interrupted mid-request. What is
 * open or cut when a run is cut short is what an operator must check in DFØ.
 */
export interface Write {
  readonly sapId: string
  readonly idautoId: string
}

/** One `audit` line, as far as this view reads it. */
export type Note =
  | { readonly _tag: "Intent"; readonly write: Write }
  | { readonly _tag: "Done"; readonly write: Write; readonly cut: boolean }

/** The open or cut writes, by employee id and idautoID (at most `SAP_CONCURRENCY` at once). */
export type Writes = HashMap.HashMap<string, Write>

export const empty: Writes = HashMap.empty()

const keyOf = (write: Write) => `${write.sapId} ${write.idautoId}`

/** The next state after one audit line. */
export const note = (writes: Writes, next: Note): Writes =>
  next._tag === "Intent" || next.cut
    ? HashMap.set(writes, keyOf(next.write), next.write)
    : HashMap.remove(writes, keyOf(next.write))

/** The writes whose outcome is unknown, by employee id. */
export const unknown = (writes: Writes): ReadonlyArray<Write> =>
  [...HashMap.values(writes)].sort(
    (a, b) => a.sapId.localeCompare(b.sapId) || a.idautoId.localeCompare(b.idautoId)
  )

const text = (value: unknown) => (typeof value === "string" ? value : "")

/** An audit line's annotations as a note; any other line is none. */
export const noteOf = (annotation: (key: string) => unknown): Note | undefined => {
  if (annotation("audit") !== true) return undefined
  const write = { sapId: text(annotation("sap_id")), idautoId: text(annotation("idauto_id")) }
  switch (annotation("audit_phase")) {
    case "intent":
      return { _tag: "Intent", write }
    case "done":
      return {
        _tag: "Done",
        write,
        cut: annotation("result") === "unknown" && annotation("reason") === "interrupted"
      }
    default:
      return undefined
  }
}

/**
 * A logger beside the run's own that folds its audit lines into `writes`. It runs in the
 * logging fiber, synchronously, so the state is current when a cut ends the run.
 */
export const observer = (writes: MutableRef.MutableRef<Writes>): Logger.Logger<unknown, void> =>
  Logger.make(({ annotations }) => {
    const next = noteOf((key) => Option.getOrUndefined(HashMap.get(annotations, key)))
    if (next !== undefined) MutableRef.update(writes, (state) => note(state, next))
  })
