import { readFileSync } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HealthV1, KeyField, ReflectionV1, WritebackService } from "@dfo-writeback/contract"
import { assert, layer } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import { Effect } from "effect"
import { LdapTestbed } from "@dfo-writeback/ldap-testbed"
import * as Fixture from "./utils/fixture.js"
import { bearer, client, kinds, listServices, token, unary, writeback } from "./utils/grpc.js"
import * as ServerProcess from "./utils/ServerProcess.js"

const dryRun = { keyField: KeyField.USERNAME, keyValue: Fixture.alice.username, logOnly: true }

/** A throw-away CA with server and client certificates, removed with the scope. */
const certificates = Effect.acquireRelease(
  Effect.promise(async () => {
    const dir = await mkdtemp(join(tmpdir(), "writeback-server-tls-"))
    return { dir, ...(await LdapTestbed.generateCertificates(dir)) }
  }),
  (files) => Effect.promise(() => rm(files.dir, { recursive: true, force: true }))
)

layer(Fixture.layer(), { excludeTestServices: true, timeout: "60 seconds" })(
  "Security and discovery",
  (it) => {
    it.scoped("refuses calls without a token or with a wrong one (UNAUTHENTICATED)", () =>
      Effect.gen(function* () {
        const { server, emulator } = yield* Fixture.Services
        emulator.reset()
        const c = yield* client(WritebackService, server.address)
        const cases: ReadonlyArray<grpc.Metadata> = [
          new grpc.Metadata(),
          bearer("not-the-token"),
          bearer(`${token}x`),
          (() => {
            const metadata = new grpc.Metadata()
            metadata.set("authorization", `Basic ${token}`)
            return metadata
          })()
        ]
        for (const metadata of cases) {
          const answer = yield* writeback(c, dryRun, { metadata })
          assert.strictEqual(answer.error?.code, grpc.status.UNAUTHENTICATED)
          assert.match(answer.error?.details ?? "", /^UNAUTHENTICATED: /)
          assert.deepStrictEqual(answer.events, [])
        }
        assert.deepStrictEqual(emulator.log(), [], "nothing was read for a refused call")

        // Every configured token is accepted.
        for (const accepted of [token, "other-token-5e2b81"]) {
          const answer = yield* writeback(c, dryRun, { metadata: bearer(accepted) })
          assert.isUndefined(answer.error)
          assert.deepStrictEqual(kinds(answer), ["started", "user", "summary"])
        }

        const refusals = server
          .logs()
          .filter((line) => line["message"] === "call" && line["status"] === "UNAUTHENTICATED")
        assert.strictEqual(refusals.length, cases.length)
        assert.notInclude(server.output(), token, "a token never reaches the log")
        assert.notInclude(server.output(), "not-the-token")
      })
    )

    it.scoped("answers health checks without a token", () =>
      Effect.gen(function* () {
        const { server } = yield* Fixture.Services
        const health = yield* client(HealthV1.Health, server.address)
        for (const service of ["", WritebackService.typeName]) {
          const { value, error } = yield* unary<HealthV1.HealthCheckResponse>((done) =>
            health.check({ service }, done)
          )
          assert.isNull(error)
          assert.strictEqual(value?.status, HealthV1.HealthCheckResponse_ServingStatus.SERVING)
        }
      })
    )

    it.scoped("lists the service through reflection, with a token", () =>
      Effect.gen(function* () {
        const { server } = yield* Fixture.Services
        const reflection = yield* client(ReflectionV1.ServerReflection, server.address)
        const listed = yield* listServices(reflection)
        assert.isUndefined(listed.error)
        assert.include(listed.services, WritebackService.typeName)
        assert.include(listed.services, HealthV1.Health.typeName)

        const anonymous = yield* listServices(reflection, new grpc.Metadata())
        assert.strictEqual(anonymous.error?.code, grpc.status.UNAUTHENTICATED)
      })
    )

    it.scoped("serves over TLS, and over mutual TLS only to clients with a certificate", () =>
      Effect.gen(function* () {
        const { testbed, emulator } = yield* Fixture.Services
        const files = yield* certificates
        const ca = readFileSync(files.caFile)
        const tlsEnv = {
          GRPC_TLS_CERT_FILE: files.certFile,
          GRPC_TLS_KEY_FILE: files.keyFile
        }
        const tls = yield* ServerProcess.scoped(Fixture.serverEnv(testbed, emulator, tlsEnv))
        const mtls = yield* ServerProcess.scoped(
          Fixture.serverEnv(testbed, emulator, { ...tlsEnv, GRPC_TLS_CLIENT_CA_FILE: files.caFile })
        )
        const withCertificate = grpc.credentials.createSsl(
          ca,
          readFileSync(files.clientKeyFile),
          readFileSync(files.clientCertFile)
        )
        const serverOnly = grpc.credentials.createSsl(ca)

        const overTls = yield* writeback(
          yield* client(WritebackService, tls.address, { credentials: serverOnly }),
          dryRun
        )
        assert.isUndefined(overTls.error)
        assert.deepStrictEqual(kinds(overTls), ["started", "user", "summary"])

        const plaintext = yield* writeback(yield* client(WritebackService, tls.address), dryRun, {
          deadlineMs: 3_000
        })
        assert.isDefined(plaintext.error, "a plaintext client cannot talk to a TLS server")

        const mutual = yield* writeback(
          yield* client(WritebackService, mtls.address, { credentials: withCertificate }),
          dryRun
        )
        assert.isUndefined(mutual.error)
        assert.deepStrictEqual(kinds(mutual), ["started", "user", "summary"])

        const anonymous = yield* writeback(
          yield* client(WritebackService, mtls.address, { credentials: serverOnly }),
          dryRun,
          { deadlineMs: 3_000 }
        )
        assert.strictEqual(anonymous.error?.code, grpc.status.UNAVAILABLE)
        assert.deepStrictEqual(anonymous.events, [])
      })
    )

    it.scoped("refuses to start without tokens unless unauthenticated access is allowed", () =>
      Effect.gen(function* () {
        const { testbed, emulator } = yield* Fixture.Services
        const env = Fixture.serverEnv(testbed, emulator)
        delete env["GRPC_AUTH_TOKENS"]

        const refused = yield* Effect.promise(() => ServerProcess.runToExit(env))
        assert.strictEqual(refused.code, 2)
        assert.match(refused.output, /GRPC_AUTH_TOKENS is required/)

        const open = yield* ServerProcess.scoped({ ...env, GRPC_ALLOW_UNAUTHENTICATED: "true" })
        const answer = yield* writeback(yield* client(WritebackService, open.address), dryRun, {
          metadata: new grpc.Metadata()
        })
        assert.isUndefined(answer.error)
      })
    )

    it.scoped(
      "lists every configuration problem in one message, without secrets, and exits 2",
      () =>
        Effect.gen(function* () {
          const result = yield* Effect.promise(() =>
            ServerProcess.runToExit({
              GRPC_LISTEN: "nowhere",
              GRPC_AUTH_TOKENS: "secret-token-1",
              GRPC_TLS_CERT_FILE: "/nonexistent/server.pem",
              PORTAL_LDAP_BIND_PASSWORD: "secret-ldap-password",
              SAP_API_KEY: "secret-api-key",
              SAP_MAX_RPS: "fast"
            })
          )
          assert.strictEqual(result.code, 2)
          const errors = result.logs.filter((line) => line["level"] === "error")
          assert.strictEqual(errors.length, 1, result.output)
          const message = String(errors[0]?.["message"])
          for (const name of [
            "GRPC_LISTEN",
            "GRPC_TLS_KEY_FILE",
            "PORTAL_LDAP_URL",
            "PORTAL_LDAP_BIND_DN",
            "SAP_ANSATT_BASE_URL",
            "SAP_MAX_RPS"
          ]) {
            assert.include(message, name)
          }
          for (const secret of ["secret-token-1", "secret-ldap-password", "secret-api-key"]) {
            assert.notInclude(result.output, secret)
          }
        })
    )
  }
)
