/**
 * The slapd process behind a testbed, on testkit's process handling: each incarnation is a
 * `ChildProcess` in a scope of its own with a `Watchdog`, so `kill`, `restart` and `stop`
 * end exactly that one, and none outlives the process that started it.
 */
import { ChildProcess, Poll, Ports, Watchdog } from "@dfo-writeback/testkit"
import type { CommandExecutor } from "@effect/platform"
import { Duration, Effect, Exit, Scope } from "effect"
import { type Account, bindOnce } from "./directory.js"
import { LdapTestbedError } from "./error.js"
import type { SlapdTools } from "./install.js"

export interface SlapdSpec {
  readonly tools: SlapdTools
  readonly configFile: string
  /** Removed by the watchdog when this process is killed outright. */
  readonly dir: string
  /** The account whose bind proves slapd answers. */
  readonly probe: Account
  readonly startTimeout: Duration.Duration
}

export interface SlapdPorts {
  readonly port: number
  readonly ldapsPort: number | undefined
}

/** The running slapd; its incarnations come and go with `kill` and `restart`. */
export interface Slapd {
  readonly pid: () => number | undefined
  /** Ends the running incarnation, if any: SIGTERM with a grace, or SIGKILL at once. */
  readonly halt: (signal: "SIGTERM" | "SIGKILL") => Effect.Effect<void>
  /** Starts a new incarnation on the same ports with the same data. */
  readonly launch: Effect.Effect<void, LdapTestbedError>
}

interface Incarnation {
  readonly scope: Scope.CloseableScope
  readonly child: ChildProcess.Child<undefined>
}

export const ldapUrl = (ports: SlapdPorts): string => `ldap://127.0.0.1:${ports.port}`

const listenUrls = (ports: SlapdPorts) => [
  `ldap://127.0.0.1:${ports.port}/`,
  ...(ports.ldapsPort === undefined ? [] : [`ldaps://127.0.0.1:${ports.ldapsPort}/`])
]

/** slapd's stderr without its banner and the timestamp/thread prefixes, on one line. */
const slapdMessages = (stderr: string) =>
  stderr
    .split("\n")
    .map((l) => l.replace(/^[0-9a-f]+\.[0-9a-f]+ 0x[0-9a-f]+ /, "").trim())
    .filter((l) => l !== "" && !l.startsWith("@(#)") && !l.includes("Maintainers <"))
    .join("; ")

/** Runs slapd in the current scope and returns once it answers a bind. */
const incarnation = (spec: SlapdSpec, ports: SlapdPorts) =>
  Effect.gen(function* () {
    // `-d none` keeps slapd in the foreground and logs only uncategorised messages to
    // stderr: start-up errors, nothing per operation.
    const child = yield* ChildProcess.start(
      spec.tools.slapd,
      ["-d", "none", "-h", listenUrls(ports).join(" "), "-f", spec.configFile],
      { stopGrace: "5 seconds", keep: 4000 }
    ).pipe(Effect.mapError((error) => new LdapTestbedError({ message: error.message })))
    yield* Watchdog.guard("ldap-testbed", child.pid, spec.dir)
    const url = ldapUrl(ports)
    const answers = Poll.until(
      Effect.promise(() =>
        bindOnce(url, spec.probe).then(
          () => true,
          () => false
        )
      ),
      { what: `slapd to answer on ${url}`, timeout: spec.startTimeout, interval: "25 millis" }
    ).pipe(
      Effect.mapError(
        () =>
          new LdapTestbedError({
            message: `slapd did not answer on ${url} within ${Duration.toMillis(spec.startTimeout)} ms`
          })
      )
    )
    const ended = Effect.flatMap(
      child.exit,
      (end) =>
        new LdapTestbedError({
          message: `slapd did not start: ${slapdMessages(end.stderr) || "exited"}`
        })
    )
    yield* Effect.raceFirst(answers, ended)
    return child
  })

/**
 * Starts slapd in `scope` on `ports`, or on free ones picked again while another process
 * takes them first, and returns it with the ports it listens on.
 */
export const make = (
  spec: SlapdSpec,
  wanted: { readonly port?: number; readonly ldapsPort?: number; readonly tls: boolean },
  scope: Scope.Scope
): Effect.Effect<
  { readonly slapd: Slapd; readonly ports: SlapdPorts },
  LdapTestbedError,
  CommandExecutor.CommandExecutor
> =>
  Effect.gen(function* () {
    const executor = yield* Effect.context<CommandExecutor.CommandExecutor>()
    let current: Incarnation | undefined
    const halt = (signal: "SIGTERM" | "SIGKILL") =>
      Effect.suspend(() => {
        const running = current
        current = undefined
        if (running === undefined) return Effect.void
        return Effect.gen(function* () {
          if (signal === "SIGKILL") {
            yield* running.child.signal("SIGKILL")
            yield* running.child.exit
          }
          yield* Scope.close(running.scope, Exit.void)
        })
      })
    const start = (ports: SlapdPorts) =>
      Effect.gen(function* () {
        const own = yield* Scope.make()
        // Interruptible even inside an acquire: the readiness race must be able to end
        // its loser, and a child's readers must end with their scope.
        const child = yield* incarnation(spec, ports).pipe(
          Effect.interruptible,
          Scope.extend(own),
          Effect.onError(() => Scope.close(own, Exit.void))
        )
        current = { scope: own, child }
      }).pipe(Effect.provide(executor))
    yield* Scope.addFinalizer(scope, halt("SIGTERM"))

    const ports = yield* Effect.gen(function* () {
      const chosen: SlapdPorts = {
        port: wanted.port ?? (yield* Ports.free),
        ldapsPort: wanted.tls ? (wanted.ldapsPort ?? (yield* Ports.free)) : undefined
      }
      yield* start(chosen)
      return chosen
    }).pipe(
      // A port found free may be taken before slapd binds it; pick again when we chose it.
      Effect.retry({
        times: 4,
        while: (error) => wanted.port === undefined && /address already in use/i.test(error.message)
      })
    )
    const slapd: Slapd = {
      pid: () => current?.child.pid,
      halt,
      launch: Effect.suspend(() => start(ports))
    }
    return { slapd, ports }
  })
