/** What the main process hands a scenario child (`node dist/scenario.js <kind> <json>`). */

/** The throw-away slapd a scenario reads. */
export interface LdapBackend {
  readonly url: string
  readonly bindDn: string
  readonly password: string
  readonly baseDn: string
  /** The directory's manager, for scenarios that change entries (and put them back). */
  readonly admin?: { readonly dn: string; readonly password: string }
}

/** The DFØ emulator a scenario talks to. */
export interface DfoBackend {
  readonly baseUrl: string
  readonly apiKey: string
  /** Its admin API (request log with arrival times, counters). */
  readonly adminUrl?: string
}

/** The throw-away RabbitMQ a scenario publishes events to. */
export interface BrokerBackend {
  /** `amqp://user:password@127.0.0.1:port/`. */
  readonly url: string
}

/** Each kind of measurement and its own parameters. */
export type Params =
  | { readonly kind: "ldapsearch"; readonly attributes: ReadonlyArray<string> }
  | { readonly kind: "ldapts"; readonly attributes: ReadonlyArray<string> }
  | { readonly kind: "stream" }
  | {
      readonly kind: "dfo-client"
      readonly requests: number
      readonly concurrencies: ReadonlyArray<number>
    }
  | {
      readonly kind: "full-run"
      /** CONTRACT §6 variables over the defaults (SAP_CONCURRENCY, SAP_BULK_LIST, ...). */
      readonly env: Readonly<Record<string, string>>
      /** An incremental run's window (`changed_since_seconds`); a full run without it. */
      readonly changedSinceSeconds?: number
    }
  | {
      readonly kind: "grpc"
      readonly sequential: number
      readonly concurrentCalls: number
      readonly clients: number
      readonly fullRuns: number
    }
  | {
      readonly kind: "events-relevant"
      /** Distinct people, one SCIM MODIFY event each, in each phase. */
      readonly people: number
      /** The latency phase's highest rate, events a second. */
      readonly maxRatePerSec: number
    }
  | { readonly kind: "events-irrelevant"; readonly events: number }

export type Kind = Params["kind"]

export interface ScenarioInput {
  readonly params: Params
  /** The generated people in the directory and DFØ (`Population.make({ count, seed })`). */
  readonly users: number
  readonly seed: number
  readonly ldap?: LdapBackend
  readonly dfo?: DfoBackend
  readonly broker?: BrokerBackend
}

/** What a scenario measured; the child prints it as its one JSON line. */
export interface Measured {
  readonly wallMs: number
  /**
   * User + system CPU time of the measured process over the same part as `wallMs`: the
   * child's own (`process.cpuUsage()`), or the outside process's (`/proc/<pid>/stat`).
   */
  readonly cpuMs: number
  /** Entries or users the timed part went through, when that is meaningful. */
  readonly users?: number
  /** DFØ attempts after the first of a call, as the client counted them. */
  readonly retries?: number
  /** Scenario-specific figures: percentiles, rates, ratios, counters. */
  readonly metrics: Readonly<Record<string, number>>
  /**
   * The measured process's peak RSS in MB when it is not the child itself (ldapsearch):
   * its `VmHWM`, read before it exits.
   */
  readonly peakRssMb?: number
}

export interface ChildOutput extends Measured {
  /** The child's own `VmHWM` (or the process it measured), in MB. */
  readonly peakRssMb: number
}
