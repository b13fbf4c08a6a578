// The built server over real gRPC: what a caller sends is bounded, and a caller that stops
// reading does not hold the server.
import { toBinary, create } from "@bufbuild/protobuf"
import {
  HealthV1,
  KeyField,
  WritebackRequestSchema,
  WritebackService
} from "@dfo-writeback/contract"
import { assert, describe, it as test, layer } from "@effect/vitest"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as grpc from "@grpc/grpc-js"
import { Effect } from "effect"
import { DfoEmulator } from "@dfo-writeback/dfo-emulator"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import * as Fixture from "./utils/fixture.js"
import { client, eventually, kinds, unary, writeback } from "./utils/grpc.js"
import { rawCall } from "./utils/rawGrpc.js"
import * as ServerProcess from "./utils/ServerProcess.js"

const writebackPath = "/dfo.writeback.v1.WritebackService/Writeback"

layer(Fixture.layer({ GRPC_STREAM_STALL_TIMEOUT_MS: "1000", LOG_LEVEL: "debug" }), {
  excludeTestServices: true,
  timeout: "90 seconds"
})("Bounds on callers", (it) => {
  it.scoped("a key_value over 256 characters is INVALID_ARGUMENT, never echoed whole", () =>
    Effect.gen(function* () {
      const { server, emulator } = yield* Fixture.Services
      emulator.reset()
      const c = yield* client(WritebackService, server.address)
      for (const length of [257, 1_000_000]) {
        const answer = yield* writeback(c, {
          keyField: KeyField.USERNAME,
          keyValue: "k".repeat(length)
        })
        assert.strictEqual(answer.error?.code, grpc.status.INVALID_ARGUMENT)
        assert.include(answer.error?.details, `key_value is ${length} characters long`)
        assert.isBelow(answer.error?.details.length ?? Infinity, 300)
      }
      assert.deepStrictEqual(emulator.log(), [], "nothing was read")
      assert.notInclude(server.output(), "k".repeat(300), "the value is never logged whole")
    })
  )

  it.scoped("an undecodable request is INVALID_ARGUMENT, not INTERNAL", () =>
    Effect.gen(function* () {
      const { server } = yield* Fixture.Services
      // Field 1 with wire type 7, which does not exist.
      const call = rawCall(server.address, writebackPath, Uint8Array.from([0x0f, 0xff, 0xff]))
      const answer = yield* Effect.promise(() => call.answer)
      call.close()
      assert.strictEqual(answer.status, grpc.status.INVALID_ARGUMENT, answer.message)
      assert.include(answer.message, "not a valid dfo.writeback.v1.WritebackRequest message")
    })
  )

  it.scoped("a stream whose client stops reading is cancelled and frees the full-run slot", () =>
    Effect.gen(function* () {
      // Enough users that their events overflow every buffer between server and client.
      const testbed = yield* LdapTestbed.scoped({ users: 1500, seed: 3 }).pipe(Effect.orDie)
      const emulator = yield* DfoEmulator.scoped({ employees: [] }).pipe(Effect.orDie)
      const server = yield* ServerProcess.scoped(
        Fixture.serverEnv(testbed, emulator, { GRPC_STREAM_STALL_TIMEOUT_MS: "1000" })
      )
      const request = toBinary(
        WritebackRequestSchema,
        create(WritebackRequestSchema, { processAll: true, logOnly: true })
      )
      const stalled = rawCall(server.address, writebackPath, request, { read: false })
      yield* Effect.addFinalizer(() => Effect.sync(stalled.close))
      const stalledLine = () =>
        server.logs().find((line) => line["code"] === "STREAM_STALLED" && line["level"] === "warn")
      yield* eventually(() => stalledLine() !== undefined, "the stalled call's log line", 60_000)
      assert.match(String(stalledLine()?.["message"]), /^STREAM_STALLED: the client read nothing/)

      // The stalled client still holds its connection; another full run gets through.
      const c = yield* client(WritebackService, server.address)
      const answer = yield* writeback(c, { processAll: true, logOnly: true })
      assert.isUndefined(answer.error, answer.error?.details)
      assert.strictEqual(kinds(answer).at(-1), "summary")
    })
  )

  it.scoped("health checks are logged at debug; grpc-js's own lines come out as JSON", () =>
    Effect.gen(function* () {
      const { server } = yield* Fixture.Services
      const health = yield* client(HealthV1.Health, server.address)
      const answer = yield* unary((callback) => health.check({ service: "" }, callback))
      assert.isNull(answer.error)
      yield* eventually(
        () =>
          server
            .logs()
            .some(
              (line) =>
                line["message"] === "call" && line["method"] === "/grpc.health.v1.Health/Check"
            ),
        "the health call's log line"
      )
      const lines = server
        .logs()
        .filter(
          (line) => line["message"] === "call" && line["method"] === "/grpc.health.v1.Health/Check"
        )
      assert.deepStrictEqual([...new Set(lines.map((line) => line["level"]))], ["debug"])
    })
  )

  it.scoped("a run older than WRITEBACK_MAX_RUN_MS is cancelled: DEADLINE_EXCEEDED", () =>
    Effect.gen(function* () {
      const { testbed, emulator } = yield* Fixture.Services
      const server = yield* ServerProcess.scoped(
        Fixture.serverEnv(testbed, emulator, {
          WRITEBACK_MAX_RUN_MS: "1",
          // grpc-js traces at debug: they must reach stdout as JSON, never stderr as text.
          GRPC_TRACE: "server_call",
          GRPC_VERBOSITY: "DEBUG",
          LOG_LEVEL: "debug"
        })
      )
      const c = yield* client(WritebackService, server.address)
      const answer = yield* writeback(c, { processAll: true, logOnly: true })
      assert.strictEqual(answer.error?.code, grpc.status.DEADLINE_EXCEEDED)
      assert.match(answer.error?.details ?? "", /^MAX_RUN_TIME: /)

      const grpcLines = server.logs().filter((line) => line["source"] === "grpc-js")
      assert.isNotEmpty(grpcLines)
      const raw = server
        .output()
        .split("\n")
        .filter((line) => line.trim() !== "" && !line.startsWith("{"))
      assert.deepStrictEqual(raw, [])
    })
  )
})

describe("TLS files are parsed at start-up", () => {
  test.scoped("a garbage client CA or a key that does not match stops start-up: exit 2", () =>
    Effect.gen(function* () {
      const dir = yield* Effect.acquireRelease(
        Effect.promise(() => mkdtemp(join(tmpdir(), "writeback-bounds-"))),
        (path) => Effect.promise(() => rm(path, { recursive: true, force: true }))
      )
      const files = yield* Effect.promise(() => LdapTestbed.generateCertificates(dir))
      const garbage = join(dir, "garbage.pem")
      yield* Effect.promise(() => writeFile(garbage, "not a certificate\n"))
      const base = {
        PORTAL_LDAP_URL: "ldap://127.0.0.1:1",
        PORTAL_LDAP_BIND_DN: "cn=writeback,dc=meta",
        PORTAL_LDAP_BIND_PASSWORD: "pw",
        SAP_ANSATT_BASE_URL: "http://127.0.0.1:1/ansatte",
        SAP_API_KEY: "key",
        GRPC_LISTEN: "127.0.0.1:0",
        GRPC_AUTH_TOKENS: "bounds-token-3c9e17"
      }
      const started = yield* Effect.promise(() =>
        ServerProcess.runToExit({
          ...base,
          GRPC_TLS_CERT_FILE: files.certFile,
          GRPC_TLS_KEY_FILE: files.clientKeyFile,
          GRPC_TLS_CLIENT_CA_FILE: garbage
        })
      )
      assert.strictEqual(started.code, 2, started.output)
      const problems = started.logs.flatMap((line) =>
        Array.isArray(line["problems"]) ? (line["problems"] as Array<string>) : []
      )
      assert.isTrue(
        problems.some(
          (p) => p.startsWith("GRPC_TLS_CLIENT_CA_FILE:") && p.includes("no PEM certificate")
        ),
        problems.join("\n")
      )
      assert.isTrue(
        problems.some((p) => p.startsWith("GRPC_TLS_KEY_FILE:") && p.includes("does not match")),
        problems.join("\n")
      )
    })
  )
})
