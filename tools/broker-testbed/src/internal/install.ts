import { Apt, Executables } from "@dfo-writeback/testkit"
import type { CommandExecutor } from "@effect/platform"
import { Effect } from "effect"
import { BrokerTestbedError } from "./error.js"

/** Debian's layout: the scripts that run the broker as the calling user (not `su rabbitmq`). */
export interface RabbitTools {
  readonly server: string
  readonly ctl: string
  readonly epmd: string
}

const candidates = {
  server: ["/usr/lib/rabbitmq/bin/rabbitmq-server"],
  ctl: ["/usr/lib/rabbitmq/bin/rabbitmqctl"],
  epmd: ["/usr/bin/epmd", "/usr/lib/erlang/bin/epmd"]
}

const toError = (error: { readonly message: string }) =>
  new BrokerTestbedError({ message: error.message, reason: "not-installed" })

export const installHint =
  "rabbitmq-server is not installed: run `sudo apt-get install -y rabbitmq-server` (Debian/Ubuntu)"

const find = (): RabbitTools | undefined => {
  const server = candidates.server.find(Executables.isExecutable)
  const ctl = candidates.ctl.find(Executables.isExecutable)
  const epmd = candidates.epmd.find(Executables.isExecutable)
  return server === undefined || ctl === undefined || epmd === undefined
    ? undefined
    : { server, ctl, epmd }
}

/**
 * The broker's binaries, installed with apt-get first when they are missing and we are root
 * (the DESIGN's rule: install when we can, else say in one line how to). Debian's package
 * starts no service on a machine without an init system; where one runs, the system broker
 * listens on the default ports, which the testbed never uses.
 */
export const ensureRabbit = (
  allowInstall: boolean
): Effect.Effect<RabbitTools, BrokerTestbedError, CommandExecutor.CommandExecutor> =>
  Apt.ensure(find, ["rabbitmq-server"], installHint, allowInstall).pipe(Effect.mapError(toError))
