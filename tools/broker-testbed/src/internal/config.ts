/**
 * The node's settings: loopback only; `default_user` replaces the `guest` account, so the
 * broker has one user, with a random password; warnings and worse go to its log file.
 */
export const rabbitmqConf = (options: {
  readonly port: number
  readonly user: string
  readonly password: string
}): string =>
  [
    `listeners.tcp.1 = 127.0.0.1:${options.port}`,
    `default_user = ${options.user}`,
    `default_pass = ${options.password}`,
    "default_vhost = /",
    "default_permissions.configure = .*",
    "default_permissions.read = .*",
    "default_permissions.write = .*",
    "log.console = false",
    "log.file.level = warning",
    // A test machine's disk may be nearly full; the default 50 MB limit would block publishers.
    "disk_free_limit.absolute = 1MB",
    ""
  ].join("\n")
