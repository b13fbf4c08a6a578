/**
 * `GRPC_LISTEN` forms (CONTRACT §6): `host:port`, `[v6]:port`, and `:port` for every
 * interface. grpc-js understands the first two; `:port` becomes `[::]:port` (IPv6 and,
 * on a dual-stack host, IPv4 too) with `0.0.0.0:port` as the fallback where IPv6 is
 * switched off, as in many containers.
 */

/** `host:port`, `[v6]:port` or `:port`; port 0–65535. */
const pattern = /^(?:\[[0-9a-fA-F:.]+\]|[^:\s[\]]*):(\d{1,5})$/

export const isValid = (value: string): boolean => {
  const port = pattern.exec(value)?.[1]
  return port !== undefined && Number(port) <= 65535
}

/** The addresses to try binding, in order; the first that binds is used. */
export const candidates = (value: string): ReadonlyArray<string> =>
  value.startsWith(":") ? [`[::]${value}`, `0.0.0.0${value}`] : [value]
