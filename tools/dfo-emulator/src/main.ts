import { parseArgs } from "node:util"
import { Population } from "@dfo-writeback/population"
import { makeEmployees } from "./Employee.js"
import { DEFAULT_API_KEY, DEFAULT_BASE_PATH } from "./Emulator.js"
import { startEmulator } from "./EmulatorServer.js"
import type { FaultsUpdate } from "./Faults.js"

const USAGE = `Usage: dfo-emulator [options]

A local stand-in for DFØ's employee API behind the IntArk gateway.
Prints the employee collection URL (SAP_ANSATT_BASE_URL) on stdout.

  --port N             listen port (default 8080; 0 picks a free one)
  --host H             listen address (default 127.0.0.1)
  --people N           the DFØ records of the population's first N people (default
                       10000 unless --data or --count is given): a directory from
                       \`npx ldap-testbed --users M --seed S\` with M <= N finds its
                       people here; the rest are employees without an account
  --seed N             the population's seed, also the seed of the fault draws (default 1)
  --data FILE          employees: {"ansatt":[...]} or an array
  --count N            generate N employees unrelated to any directory
  --missing-share X    share 0-1 of --count employees lacking a value (default 0.05)
  --api-key K          a read-write X-Gravitee-Api-Key (default ${DEFAULT_API_KEY})
  --read-only-key K    also accept K on a read-only plan (GET only; PUT answers 405)
  --base-path P        collection path (default ${DEFAULT_BASE_PATH})
  --latency-ms N       added to every answer
  --jitter-ms N        random extra latency, 0..N ms
  --rate-limit RPS     answer 429 with Retry-After over RPS requests a second
  --error-rate X       share 0-1 of 503 answers
  --too-many-rate X    share 0-1 of 429 answers, whatever the rate limit
  --retry-after S      their Retry-After in seconds (default 1)
  --stall-rate X       share 0-1 of requests never answered
  --write-status S     what a successful PUT answers: 200 (the employee) or 204 (default 200)
  --accept-patch       treat PATCH like PUT (default: 405, as DFØ's gateway answers)
  --ansatt-object      answer one employee as {"ansatt":{...}} instead of a list
  --gateway-cache      a cache policy on the gateway: GETs answered from a stored copy
                       unless they carry X-Gravitee-Cache: BY_PASS
  --help               this text

Switches can be changed while it runs: POST {origin}/__admin/faults, see the README.`

const fail = (message: string): never => {
  process.stderr.write(`dfo-emulator: ${message}\n\n${USAGE}\n`)
  process.exit(64)
}

const number = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined
  const value = Number(text)
  return Number.isFinite(value) ? value : fail(`--${name} needs a number, got ${text}`)
}

const main = async () => {
  let parsed
  try {
    parsed = parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string" },
        data: { type: "string" },
        count: { type: "string" },
        people: { type: "string" },
        "missing-share": { type: "string" },
        "api-key": { type: "string" },
        "base-path": { type: "string" },
        "latency-ms": { type: "string" },
        "jitter-ms": { type: "string" },
        "rate-limit": { type: "string" },
        "error-rate": { type: "string" },
        "too-many-rate": { type: "string" },
        "retry-after": { type: "string" },
        "stall-rate": { type: "string" },
        "write-status": { type: "string" },
        "accept-patch": { type: "boolean" },
        "ansatt-object": { type: "boolean" },
        "gateway-cache": { type: "boolean" },
        "read-only-key": { type: "string", multiple: true },
        seed: { type: "string" },
        help: { type: "boolean" }
      },
      strict: true,
      allowPositionals: false
    })
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error))
  }
  const v = parsed.values
  if (v.help === true) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  if (v.people !== undefined && v.count !== undefined)
    fail("--people and --count exclude each other")
  const count = number("count", v.count) ?? 0
  const people =
    number("people", v.people) ?? (v.data === undefined && v.count === undefined ? 10_000 : 0)
  const rps = number("rate-limit", v["rate-limit"])
  const writeStatus = number("write-status", v["write-status"])
  if (writeStatus !== undefined && writeStatus !== 200 && writeStatus !== 204) {
    fail("--write-status is 200 or 204")
  }
  const faults: Record<string, unknown> = {
    latencyMs: number("latency-ms", v["latency-ms"]),
    jitterMs: number("jitter-ms", v["jitter-ms"]),
    rateLimit: rps === undefined ? undefined : { rps },
    errorRate: number("error-rate", v["error-rate"]),
    tooManyRate: number("too-many-rate", v["too-many-rate"]),
    retryAfterSeconds: number("retry-after", v["retry-after"]),
    stallRate: number("stall-rate", v["stall-rate"]),
    writeStatus,
    acceptPatch: v["accept-patch"],
    ansattAsObject: v["ansatt-object"],
    gatewayCache: v["gateway-cache"]
  }
  for (const key of Object.keys(faults)) if (faults[key] === undefined) delete faults[key]

  const seed = number("seed", v.seed)
  const emulator = await startEmulator({
    port: number("port", v.port) ?? 8080,
    ...(v.host === undefined ? {} : { host: v.host }),
    ...(v["base-path"] === undefined ? {} : { basePath: v["base-path"] }),
    apiKey: v["api-key"] ?? DEFAULT_API_KEY,
    apiKeys: (v["read-only-key"] ?? []).map((key) => ({ key, plan: "read-only" as const })),
    ...(v.data === undefined ? {} : { dataFile: v.data }),
    ...(seed === undefined ? {} : { seed }),
    employees: [
      ...Population.make({ count: people, seed: seed ?? 1 }).dfoRecords,
      ...makeEmployees(count, {
        missingShare: number("missing-share", v["missing-share"]) ?? 0.05
      })
    ],
    faults: faults as FaultsUpdate
  }).catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)))

  process.stdout.write(`${emulator.baseUrl}\n`)
  process.stderr.write(
    `dfo-emulator: ${emulator.employees().length} employees at ${emulator.baseUrl}\n` +
      `dfo-emulator: header X-Gravitee-Api-Key: ${emulator.apiKey}\n` +
      `dfo-emulator: admin at ${emulator.adminUrl} (log, stats, faults, script, employees)\n`
  )
  const shutdown = () => {
    void emulator.stop().then(() => process.exit(0))
  }
  process.once("SIGINT", shutdown)
  process.once("SIGTERM", shutdown)
}

void main()
